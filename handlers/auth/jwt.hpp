#pragma once
// JSON Web Tokens (RFC 7519) naming user principals: HS256 and RS256 verification, HS256 signing.
//
// The algorithm is read from the token's header but only from an allow-list, and each algorithm is
// bound to its own key: an HS256 token is always checked with the HMAC secret, an RS256 token
// always with the configured public key. A token therefore cannot pick the key it is checked with
// (the classic "RS256 public key used as an HMAC secret" confusion), and `none` never verifies.
//
// Thread-safety: a jwt_verifier is immutable after construction; verify() is const and may run on
// many threads at once (each call makes its own OpenSSL contexts; the keyed HMAC state and the EVP_PKEY are only read).

#include "handlers/auth/hmac_sha256.hpp"

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::auth {

struct jwt_claims {
    std::string subject;          // `sub`, a valid id (store::is_valid_id)
    std::int64_t expires_at = 0;  // `exp` in Unix seconds; 0 = the token has no `exp`
};

enum class jwt_error : std::uint8_t {
    malformed,              // not three base64url segments of JSON objects, or a claim of the wrong type
    unsupported_algorithm,  // `alg` not on the allow-list (or RS256 with no public key configured)
    bad_signature,
    expired,                // exp <= now
    not_yet_valid,          // nbf > now
    invalid_subject,        // `sub` missing, not a string, or not a valid id
};

std::string_view to_string(jwt_error error);

// Either claims (success) or the reason for rejection; `error` means nothing when `claims` is set.
struct jwt_result {
    std::optional<jwt_claims> claims;
    jwt_error error = jwt_error::malformed;
};

class jwt_verifier {
public:
    // hs256_secret: the shared secret's bytes; must not be empty (an empty HMAC key is forgeable
    // by anyone). rs256_public_key_pem: a PEM RSA public key, or empty to refuse RS256 tokens.
    // Throws std::runtime_error on an empty secret or a PEM that OpenSSL cannot parse as RSA.
    explicit jwt_verifier(std::string_view hs256_secret, std::string_view rs256_public_key_pem = {});

    jwt_result verify(std::string_view token, std::int64_t now_seconds) const;

    bool accepts_rs256() const { return rs256_key_ != nullptr; }

private:
    struct pkey_deleter {
        void operator()(EVP_PKEY* key) const noexcept;
    };

    bool hs256_matches(std::string_view signing_input, std::string_view signature) const;
    bool rs256_matches(std::string_view signing_input, std::string_view signature) const;

    hmac_sha256_key hs256_key_;
    std::unique_ptr<EVP_PKEY, pkey_deleter> rs256_key_;
};

// A compact HS256 token {"sub", "iat", "exp"}; expires_at 0 leaves `exp` out. Used by progressctl
// and the tests; the server itself never mints tokens.
std::string sign_hs256(std::string_view secret, std::string_view subject, std::int64_t issued_at,
                       std::int64_t expires_at);

}  // namespace progressd::auth
