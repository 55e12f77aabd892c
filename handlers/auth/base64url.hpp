#pragma once
// Base64 (RFC 4648): the URL-safe alphabet without padding for JWT segments (§5), the standard
// alphabet for HTTP Basic credentials (§4).
//
// Decoders are strict: characters outside the alphabet, an impossible length or non-zero unused
// bits make them return nothing. Strictness means every byte string has exactly one accepted
// spelling, so two different token strings never carry the same signed bytes.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace progressd::auth {

// URL-safe alphabet ('-', '_'), no '=' padding (padding is rejected, as JWS requires).
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

// Standard alphabet ('+', '/'). Padding is accepted when complete and may be left out.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace progressd::auth
