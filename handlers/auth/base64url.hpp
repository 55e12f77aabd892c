#pragma once
// Base64 (RFC 4648): the URL-safe alphabet without padding for JWT segments (§5), the standard
// alphabet for HTTP Basic credentials (§4).
//
// Decoders are strict: characters outside the alphabet, an impossible length or non-zero unused
// bits make them return nothing. Strictness means every byte string has exactly one accepted
// spelling, so two different token strings never carry the same signed bytes.
// Thread-safety: pure functions.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace progressd::auth {

// At most how many bytes `characters` characters of unpadded base64 decode to.
constexpr std::size_t base64_decoded_bytes(std::size_t characters) { return characters / 4 * 3 + characters % 4 * 3 / 4; }

// URL-safe alphabet ('-', '_'), no '=' padding (padding is rejected, as JWS requires).
std::optional<std::string> base64url_decode(std::string_view text);
// The same into `out`, without allocating: the decoded bytes, viewing `out`. Nothing when the text is
// not canonical base64url or `out` is shorter than base64_decoded_bytes(text.size()).
std::optional<std::string_view> base64url_decode(std::string_view text, std::span<char> out);
std::string base64url_encode(std::string_view bytes);

// Standard alphabet ('+', '/'). Padding is accepted when complete and may be left out.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace progressd::auth
