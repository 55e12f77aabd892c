#pragma once
// Request credentials → principal (SPEC §3). No HTTP types: the caller passes header values.
//
// Precedence, as gateways in front of Sunbird send both an API key and the user's token:
//   1. `x-authenticated-user-token: <JWT>` present → it alone decides (user principal);
//   2. `Authorization: Bearer X` → X is an API key (service), else X must verify as a JWT (user);
//   3. `Authorization: Basic base64(key:password)` → the user name must be an API key (service);
//      the password is ignored (Skilljar clients send the key as the user name, password empty).
// Scheme names are case-insensitive (RFC 9110 §11.1).

#include "handlers/auth/api_keys.hpp"
#include "handlers/auth/jwt.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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

// Tokens this thread has already verified, so the hot path (a ping every few seconds per viewer)
// pays one hash lookup instead of an HMAC or RSA check.
//
// Thread-safety: none. Each I/O thread owns one, which is why it needs no lock.
//
// The key is the whole token string, not a digest of it: two tokens that merely collided in a
// hash would otherwise share a principal, which is an impersonation. Only verified tokens enter,
// so filling the cache takes tokens signed by a real issuer.
//
// Bounded: at most `capacity` entries and capacity × average_entry_bytes of token and user-id
// bytes; an insert that would pass either limit first clears the cache (see insert for why).
class token_cache {
public:
    // Per I/O thread. Sized for a few hundred thousand active players: below the number of live
    // tokens, clear-on-full would turn almost every request into a full verification.
    static constexpr std::size_t default_capacity = std::size_t{1} << 18;
    // Longer tokens are verified every time rather than cached, which bounds an entry's size.
    static constexpr std::size_t max_token_bytes = 4096;
    // Memory budget per entry on average (a typical token is 150–800 bytes): capacity × this,
    // 64 MiB per thread by default.
    static constexpr std::size_t average_entry_bytes = 256;

    token_cache() : token_cache(default_capacity) {}
    explicit token_cache(std::size_t capacity);

    // The user id of a cached, unexpired token. An expired entry is removed and is a miss.
    std::optional<std::string> find(std::string_view token, std::int64_t now_seconds);

    // expires_at 0 = the token never expires.
    void insert(std::string_view token, std::string_view user_id, std::int64_t expires_at);

    std::size_t size() const { return entries_.size(); }

private:
    struct entry {
        std::string user_id;
        std::int64_t expires_at = 0;
    };
    // Transparent, so lookups take the header's string_view without building a std::string.
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
    };

    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries_;
    std::size_t capacity_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;  // token and user id bytes now held
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
