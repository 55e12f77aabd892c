#pragma once
// Request credentials → principal (docs/auth.md). No HTTP types: the caller passes header values.
//
// Precedence, as gateways in front of Sunbird send both an API key and the user's token:
//   1. `x-authenticated-user-token: <JWT>` present → it alone decides (user principal);
//   2. `Authorization: Bearer X` → X is an API key (service), else X must verify as a JWT (user);
//   3. `Authorization: Basic base64(key:password)` → the user name must be an API key (service);
//      the password is ignored (Skilljar clients send the key as the user name, password empty).
// Scheme names are case-insensitive (RFC 9110 §11.1).

#include "handlers/auth/api_keys.hpp"
#include "handlers/auth/jwt.hpp"
#include "handlers/auth/token_cache.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::auth {

struct principal {
    enum class kind : std::uint8_t { user, service };
    kind role = kind::user;
    std::string user_id;  // `sub` of a user token; empty for a service
};

enum class auth_error : std::uint8_t {
    missing_credentials,  // no credential at all: 401 asking for one
    invalid_credentials,  // a credential that does not verify (bad, expired, unknown scheme…)
};

// Either a principal or the reason there is none; `error` means nothing when `principal` is set.
struct auth_result {
    std::optional<auth::principal> principal;
    auth_error error = auth_error::missing_credentials;
};

// Thread-safety: immutable after construction; authenticate() is const and runs on every I/O
// thread at once, each with its own token_cache.
class authenticator {
public:
    authenticator(jwt_verifier verifier, api_keys keys);

    // authorization: the `Authorization` header's value, "" when absent.
    // user_token: the `x-authenticated-user-token` header's value, "" when absent.
    auth_result authenticate(std::string_view authorization, std::string_view user_token, token_cache& cache,
                             std::int64_t now_seconds) const;

private:
    auth_result user_from_token(std::string_view token, token_cache& cache, std::int64_t now_seconds) const;
    auth_result service_from_basic(std::string_view encoded) const;

    jwt_verifier verifier_;
    api_keys keys_;
};

}  // namespace progressd::auth
