// Harness: JWT parsing and verification (handlers/auth/jwt.hpp) and the authenticator in front of
// it. The first byte picks what the rest is:
//   0: a token, verified as is (HS256 and RS256 trusted, so both header paths run);
//   1: an Authorization header value, then (after the first '\n') an x-authenticated-user-token
//      value, through the authenticator twice, the second time from its token cache;
//   2: a JOSE header and a payload (JSON, split at the first '\n') that the harness encodes and
//      signs with the HS256 secret. Forged signatures stop at step 2 of verify(); this mode is how
//      the claim checks behind the signature get explored.
// Whatever the mode, an accepted token must name a valid subject, and the cache must give back
// exactly what a full verification gave.

#include "handlers/auth/authenticator.hpp"
#include "handlers/auth/base64url.hpp"
#include "handlers/auth/jwt.hpp"
#include "store/ids.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace progressd::auth;

namespace {

constexpr std::int64_t now_seconds = 1'700'000'000;
const std::string secret = "fuzz-hs256-secret-0123456789abcdef";
const std::string service_key = "fuzz-service-key-0123456789";

// Any RSA public key: the harness cannot sign RS256, it only needs verify() to take that path.
constexpr std::string_view rs256_public_key = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwT0ZqIHTXsTCbReUF3mx
VYLIxCLSaJYc+cXn1UAt2J4zTc6K0WawFTfWWayidhzhHRgUMUfcY45CTk2I9bUU
rcHZcWV9exDH/bHfdLCBaff8GMTZR219o5fY2qVZJbBYNv5f7ZT1ggmMKFdiDQv6
fHPeI4/raqBkSt6BLNnEsbgQmTIj0ivruxp7cmR8hhsLxBCWGvRD+TvVJHIDMl1j
z7RYrn7rFsay64c/eqTHocXyPwOZdhgd15pvWJKGG6TzlYRjkNTb6YSxhSXgmIiJ
wvvIro1lLAoeBzWb8iQb6uiJt9ZYzNlqGL2AGkFY3+Js0P6sSrRn+b4tOmYAcKOm
NwIDAQAB
-----END PUBLIC KEY-----
)";

void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "jwt_fuzz: %s\n", what);
    std::abort();
}

const authenticator& the_authenticator() {
    static const authenticator instance(jwt_verifier(secret, rs256_public_key), api_keys({service_key}));
    return instance;
}

const jwt_verifier& the_verifier() {
    static const jwt_verifier instance(secret, rs256_public_key);
    return instance;
}

std::string sign(std::string_view header, std::string_view payload) {
    std::string token = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest, &length);
    return token + "." + base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

void check_verified(const jwt_result& result) {
    if (!result.claims) return;
    require(progressd::store::is_valid_id(result.claims->subject), "accepted a token with an invalid subject");
    require(result.claims->expires_at == 0 || result.claims->expires_at > now_seconds, "accepted an expired token");
}

void authenticate_twice(std::string_view authorization, std::string_view user_token) {
    token_cache cache(64);
    const auto first = the_authenticator().authenticate(authorization, user_token, cache, now_seconds);
    const auto second = the_authenticator().authenticate(authorization, user_token, cache, now_seconds);
    require(first.principal.has_value() == second.principal.has_value(), "the token cache changed the outcome");
    if (!first.principal) {
        require(first.error == second.error, "the token cache changed the error");
        return;
    }
    require(first.principal->role == second.principal->role, "the token cache changed the role");
    require(first.principal->user_id == second.principal->user_id, "the token cache changed the user");
    if (first.principal->role == principal::kind::user) {
        require(progressd::store::is_valid_id(first.principal->user_id), "a user principal with an invalid id");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto newline = rest.find('\n');
    const std::string_view first = rest.substr(0, newline);
    const std::string_view second = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);

    switch (data[0] % 3) {
        case 0:
            check_verified(the_verifier().verify(rest, now_seconds));
            break;
        case 1:
            authenticate_twice(first, second);
            break;
        case 2: {
            const auto token = sign(first, second);
            check_verified(the_verifier().verify(token, now_seconds));
            authenticate_twice("Bearer " + token, {});
            break;
        }
    }
    return 0;
}
