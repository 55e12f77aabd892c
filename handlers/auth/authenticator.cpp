#include "handlers/auth/authenticator.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/credential_text.hpp"

#include <algorithm>

namespace progressd::auth {
namespace {

auth_result failure(auth_error error) { return {std::nullopt, error}; }

auth_result user(std::string user_id) { return {principal{principal::kind::user, std::move(user_id)}, {}}; }

auth_result service() { return {principal{principal::kind::service, {}}, {}}; }

}  // namespace

authenticator::authenticator(jwt_verifier verifier, api_keys keys)
    : verifier_(std::move(verifier)), keys_(std::move(keys)) {}

auth_result authenticator::authenticate(std::string_view authorization, std::string_view user_token,
                                        token_cache& cache, std::int64_t now_seconds) const {
    // The user token decides whenever it is present, whatever Authorization holds: a gateway's
    // API key there says who forwarded the request, not who is acting.
    user_token = trim(user_token);
    if (!user_token.empty()) {
        // Some clients prefix it like an Authorization value; a JWT never contains a space.
        const auto [scheme, value] = split_scheme(user_token);
        return user_from_token(iequals(scheme, "Bearer") && !value.empty() ? value : user_token, cache, now_seconds);
    }

    const auto [scheme, value] = split_scheme(authorization);
    if (scheme.empty()) return failure(auth_error::missing_credentials);
    if (value.empty()) return failure(auth_error::invalid_credentials);
    if (iequals(scheme, "Bearer")) {
        if (keys_.contains(value)) return service();
        return user_from_token(value, cache, now_seconds);
    }
    if (iequals(scheme, "Basic")) return service_from_basic(value);
    return failure(auth_error::invalid_credentials);
}

auth_result authenticator::user_from_token(std::string_view token, token_cache& cache, std::int64_t now_seconds) const {
    if (auto user_id = cache.find(token, now_seconds)) return user(std::move(*user_id));
    auto verified = verifier_.verify(token, now_seconds);
    if (!verified.claims) return failure(auth_error::invalid_credentials);
    cache.insert(token, verified.claims->subject, verified.claims->expires_at);
    return user(std::move(verified.claims->subject));
}

auth_result authenticator::service_from_basic(std::string_view encoded) const {
    const auto decoded = base64_decode(encoded);
    if (!decoded) return failure(auth_error::invalid_credentials);
    // user-pass = user-id ":" password (RFC 7617). Only the user name is read; without a colon the
    // whole text is taken as the user name, as some clients send just the key.
    const std::string_view user_pass = *decoded;
    const auto key = user_pass.substr(0, user_pass.find(':'));
    if (keys_.contains(key)) return service();
    return failure(auth_error::invalid_credentials);
}

}  // namespace progressd::auth
