#include "handlers/auth/jwt.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/hmac_sha256.hpp"
#include "store/ids.hpp"

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace progressd::auth {
namespace {

namespace json = boost::json;

// Real tokens are a few hundred bytes; the cap bounds the work an unauthenticated caller can ask
// for (base64 decoding and JSON parsing happen before the signature is known to be good).
constexpr std::size_t max_token_bytes = 8192;

enum class algorithm : std::uint8_t { hs256, rs256 };

struct segments {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input;  // "header.payload", what the signature covers
};

std::optional<segments> split(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    return segments{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                    token.substr(0, second)};
}

// Decodes a token's segments, one at a time, without touching the heap for a token of ordinary size:
// the decoded bytes go to one buffer (each segment's are done with before the next is decoded), the
// parsed objects to a monotonic resource over a second one. Objects it returns live as long as it.
class segment_decoder {
public:
    // The segment's bytes, valid until the next call. Nothing if it is not canonical base64url.
    std::optional<std::string_view> bytes(std::string_view segment) { return base64url_decode(segment, bytes_); }

    // A segment holding a JSON object. Never throws on bad input.
    std::optional<json::object> object(std::string_view segment) {
        const auto text = bytes(segment);
        if (!text) return std::nullopt;
        json::error_code ec;
        json::value value = json::parse(*text, ec, &objects_);
        if (ec || !value.is_object()) return std::nullopt;
        return std::move(value.as_object());
    }

private:
    std::array<char, base64_decoded_bytes(max_token_bytes)> bytes_;
    std::array<unsigned char, 2048> object_buffer_;
    json::monotonic_resource objects_{object_buffer_.data(), object_buffer_.size()};
};

// A NumericDate (RFC 7519 §2): integer or fractional seconds. Fractions round down, which can only
// make `exp` earlier. nullopt = not a number.
std::optional<std::int64_t> numeric_date(const json::value& value) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    if (value.is_int64()) return value.get_int64();
    if (value.is_uint64()) return value.get_uint64() > static_cast<std::uint64_t>(max) ? max : static_cast<std::int64_t>(value.get_uint64());
    if (!value.is_double()) return std::nullopt;
    const double seconds = std::floor(value.get_double());
    if (std::isnan(seconds)) return std::nullopt;
    // 2^63 is exactly representable; anything at or beyond it saturates.
    if (seconds >= 9223372036854775808.0) return max;
    if (seconds < -9223372036854775808.0) return min;
    return static_cast<std::int64_t>(seconds);
}

// An empty HMAC key is forgeable by anyone: refused before OpenSSL ever sees it.
std::string_view non_empty(std::string_view secret) {
    if (secret.empty()) throw std::runtime_error("the HS256 secret is empty");
    return secret;
}

}  // namespace

std::string_view to_string(jwt_error error) {
    switch (error) {
        case jwt_error::malformed: return "malformed";
        case jwt_error::unsupported_algorithm: return "unsupported_algorithm";
        case jwt_error::bad_signature: return "bad_signature";
        case jwt_error::expired: return "expired";
        case jwt_error::not_yet_valid: return "not_yet_valid";
        case jwt_error::invalid_subject: return "invalid_subject";
    }
    return "unknown";
}

void jwt_verifier::pkey_deleter::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

jwt_verifier::jwt_verifier(std::string_view hs256_secret, std::string_view rs256_public_key_pem)
    : hs256_key_(non_empty(hs256_secret)) {
    if (rs256_public_key_pem.empty()) return;

    // The decoder accepts both "BEGIN PUBLIC KEY" (SubjectPublicKeyInfo) and "BEGIN RSA PUBLIC KEY"
    // (PKCS#1), and only RSA keys: an EC key configured for RS256 is a mistake worth refusing.
    EVP_PKEY* key = nullptr;
    OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", nullptr, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    if (decoder == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("cannot create an OpenSSL PEM decoder");
    }
    const auto* data = reinterpret_cast<const unsigned char*>(rs256_public_key_pem.data());
    std::size_t length = rs256_public_key_pem.size();
    const bool decoded = OSSL_DECODER_from_data(decoder, &data, &length) == 1;
    OSSL_DECODER_CTX_free(decoder);
    rs256_key_.reset(key);
    if (!decoded || !rs256_key_ || EVP_PKEY_is_a(rs256_key_.get(), "RSA") != 1) {
        ERR_clear_error();
        throw std::runtime_error("the RS256 public key is not a PEM RSA public key");
    }
}

bool jwt_verifier::hs256_matches(std::string_view signing_input, std::string_view signature) const {
    if (signature.size() != sha256_bytes) return false;
    const auto expected = hs256_key_.sign(signing_input);
    // Constant time: a byte-by-byte compare that stops early would leak how much of a guess matched.
    return CRYPTO_memcmp(expected.data(), signature.data(), sha256_bytes) == 0;
}

bool jwt_verifier::rs256_matches(std::string_view signing_input, std::string_view signature) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const bool ok =
        context && EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, rs256_key_.get()) == 1 &&
        EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
    // OpenSSL's error queue is per thread: leave nothing behind for the next caller on this thread.
    if (!ok) ERR_clear_error();
    return ok;
}

jwt_result jwt_verifier::verify(std::string_view token, std::int64_t now_seconds) const {
    const auto fail = [](jwt_error error) { return jwt_result{std::nullopt, error}; };
    if (token.size() > max_token_bytes) return fail(jwt_error::malformed);
    const auto parts = split(token);
    if (!parts) return fail(jwt_error::malformed);
    segment_decoder decode;

    // 1. Header: pick the algorithm from the allow-list, exact and case-sensitive (RFC 7515 §4.1.1).
    const auto header = decode.object(parts->header);
    if (!header) return fail(jwt_error::malformed);
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string()) return fail(jwt_error::malformed);
    algorithm chosen;
    if (alg->get_string() == "HS256") {
        chosen = algorithm::hs256;
    } else if (alg->get_string() == "RS256" && rs256_key_) {
        chosen = algorithm::rs256;
    } else {
        return fail(jwt_error::unsupported_algorithm);
    }
    // `crit` names extensions the token requires us to understand; we understand none (§4.1.11).
    if (header->contains("crit")) return fail(jwt_error::unsupported_algorithm);

    // 2. Signature, before any claim is looked at: claims of an unverified token mean nothing.
    const auto signature = decode.bytes(parts->signature);
    if (!signature) return fail(jwt_error::malformed);
    const bool good = chosen == algorithm::hs256 ? hs256_matches(parts->signing_input, *signature)
                                                 : rs256_matches(parts->signing_input, *signature);
    if (!good) return fail(jwt_error::bad_signature);

    // 3. Claims. No clock-skew leeway: the issuer and this server are expected to share a clock
    // (NTP), and tokens minted by progressctl start now; a leeway would only lengthen every token.
    const auto payload = decode.object(parts->payload);
    if (!payload) return fail(jwt_error::malformed);
    jwt_claims claims;
    if (const auto* exp = payload->if_contains("exp")) {
        const auto seconds = numeric_date(*exp);
        if (!seconds) return fail(jwt_error::malformed);
        if (*seconds <= now_seconds) return fail(jwt_error::expired);
        claims.expires_at = *seconds;
    }
    if (const auto* nbf = payload->if_contains("nbf")) {
        const auto seconds = numeric_date(*nbf);
        if (!seconds) return fail(jwt_error::malformed);
        if (*seconds > now_seconds) return fail(jwt_error::not_yet_valid);
    }
    const auto* sub = payload->if_contains("sub");
    if (sub == nullptr || !sub->is_string() || !store::is_valid_id(sub->get_string())) return fail(jwt_error::invalid_subject);
    claims.subject = sub->get_string();
    return jwt_result{std::move(claims), jwt_error::malformed};
}

std::string sign_hs256(std::string_view secret, std::string_view subject, std::int64_t issued_at,
                       std::int64_t expires_at) {
    json::object payload;
    payload["sub"] = subject;
    payload["iat"] = issued_at;
    if (expires_at != 0) payload["exp"] = expires_at;

    std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    token += '.';
    token += base64url_encode(json::serialize(payload));
    const auto signature = hmac_sha256(secret, token);
    token += '.';
    token += base64url_encode(signature);
    return token;
}

}  // namespace progressd::auth
