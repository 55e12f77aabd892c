// Skilljar's signed ids (handlers/compat/skilljar/skilljar_mapping.hpp): the HMAC-signed
// lesson-progress ids and progress tokens.

#include "handlers/compat/skilljar/skilljar_mapping.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/hmac_sha256.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <openssl/crypto.h>

#include <array>
#include <stdexcept>

namespace progressd::skilljar {
namespace {

using auth::hmac_sha256;

std::string_view kind_prefix(token_kind kind) { return kind == token_kind::lesson_progress ? "lp" : "pt"; }

}  // namespace

std::string derive_token_key(std::string_view secret) { return hmac_sha256(secret, "progressd skilljar token key v1"); }

std::string mint_token(token_kind kind, const token_subject& subject, std::string_view key) {
    std::string body(kind_prefix(kind));
    for (const auto* part : {&subject.user_id, &subject.course_id, &subject.lesson_id}) {
        body += '.';
        body += auth::base64url_encode(*part);
    }
    const std::string mac = hmac_sha256(key, body);
    return body + "." + auth::base64url_encode(mac);
}

std::optional<token_subject> verify_token(token_kind kind, std::string_view token, std::string_view key) {
    const auto last_dot = token.rfind('.');
    if (last_dot == std::string_view::npos) return std::nullopt;
    const std::string_view body = token.substr(0, last_dot);
    const auto mac = auth::base64url_decode(token.substr(last_dot + 1));
    const std::string expected = hmac_sha256(key, body);
    if (!mac || mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
        return std::nullopt;
    }
    // Signed, so what follows only rejects tokens minted for another kind or by a buggy minter.
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto dot = body.find('.', start);
        parts.push_back(body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (parts.size() != 4 || parts[0] != kind_prefix(kind)) return std::nullopt;
    token_subject subject;
    std::string* fields[] = {&subject.user_id, &subject.course_id, &subject.lesson_id};
    for (std::size_t i = 0; i < 3; ++i) {
        auto decoded = auth::base64url_decode(parts[i + 1]);
        if (!decoded || !store::is_valid_id(*decoded)) return std::nullopt;
        *fields[i] = std::move(*decoded);
    }
    return subject;
}

}  // namespace progressd::skilljar

namespace progressd {

std::string derive_progress_token_key(std::string_view hs256_secret) { return skilljar::derive_token_key(hs256_secret); }

}  // namespace progressd
