#include "handlers/auth/authenticator.hpp"

#include "handlers/auth/base64url.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace auth = progressd::auth;

namespace {

constexpr std::int64_t now = 1'700'000'000;
const std::string secret = "authenticator-test-secret";
const std::string service_key = "svc-0123456789abcdef";

auth::authenticator make_authenticator(const std::string& hs256_secret = secret) {
    return auth::authenticator(auth::jwt_verifier(hs256_secret), auth::api_keys({service_key, "second-key"}));
}

std::string token_for(const std::string& user, std::int64_t expires_at = now + 3600) {
    return auth::sign_hs256(secret, user, now - 60, expires_at);
}

std::string basic(std::string_view user_pass) { return "Basic " + auth::base64_encode(user_pass); }

bool is_service(const auth::auth_result& result) {
    return result.principal && result.principal->role == auth::principal::kind::service && result.principal->user_id.empty();
}

bool is_user(const auth::auth_result& result, const std::string& user) {
    return result.principal && result.principal->role == auth::principal::kind::user && result.principal->user_id == user;
}

bool is_error(const auth::auth_result& result, auth::auth_error error) { return !result.principal && result.error == error; }

}  // namespace

BOOST_AUTO_TEST_SUITE(authenticator_suite)

BOOST_AUTO_TEST_CASE(bearer_api_key_is_a_service) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    BOOST_TEST(is_service(authenticator.authenticate("Bearer " + service_key, "", cache, now)));
    BOOST_TEST(is_service(authenticator.authenticate("bearer second-key", "", cache, now)));
    BOOST_TEST(is_service(authenticator.authenticate("  BEARER   " + service_key + "  ", "", cache, now)));
    BOOST_TEST(cache.size() == 0u);  // API keys never go through the token cache
}

BOOST_AUTO_TEST_CASE(bearer_jwt_is_a_user) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    BOOST_TEST(is_user(authenticator.authenticate("Bearer " + token_for("learner-7"), "", cache, now), "learner-7"));
}

BOOST_AUTO_TEST_CASE(basic_with_key_as_user_name_is_a_service) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    BOOST_TEST(is_service(authenticator.authenticate(basic(service_key + ":"), "", cache, now)));
    BOOST_TEST(is_service(authenticator.authenticate(basic(service_key + ":ignored-password"), "", cache, now)));
    BOOST_TEST(is_service(authenticator.authenticate(basic(service_key), "", cache, now)));
    BOOST_TEST(is_service(authenticator.authenticate("basic " + auth::base64_encode(service_key + ":"), "", cache, now)));
    // The key must be the user name, not the password.
    BOOST_TEST(is_error(authenticator.authenticate(basic("someone:" + service_key), "", cache, now),
                        auth::auth_error::invalid_credentials));
    BOOST_TEST(is_error(authenticator.authenticate("Basic !!!not-base64", "", cache, now), auth::auth_error::invalid_credentials));
}

BOOST_AUTO_TEST_CASE(user_token_header_wins_over_an_api_key) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    const auto result = authenticator.authenticate("Bearer " + service_key, token_for("learner-7"), cache, now);
    BOOST_TEST(is_user(result, "learner-7"));
    BOOST_TEST(is_user(authenticator.authenticate(basic(service_key + ":"), token_for("learner-8"), cache, now), "learner-8"));
    // It decides even when it is bad: a valid API key beside it does not rescue the request.
    BOOST_TEST(is_error(authenticator.authenticate("Bearer " + service_key, "garbage", cache, now),
                        auth::auth_error::invalid_credentials));
    // Tolerated: the header value prefixed like an Authorization value.
    BOOST_TEST(is_user(authenticator.authenticate("", "Bearer " + token_for("learner-9"), cache, now), "learner-9"));
}

BOOST_AUTO_TEST_CASE(missing_versus_invalid) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    const auto missing = auth::auth_error::missing_credentials;
    const auto invalid = auth::auth_error::invalid_credentials;
    BOOST_TEST(is_error(authenticator.authenticate("", "", cache, now), missing));
    BOOST_TEST(is_error(authenticator.authenticate("   ", "", cache, now), missing));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer", "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer ", "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer not-a-key", "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer " + service_key.substr(0, 10), "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Digest " + service_key, "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate(service_key, "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer " + token_for("u", now - 1), "", cache, now), invalid));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer " + auth::sign_hs256("other", "u", now, now + 60), "", cache, now),
                        invalid));
    BOOST_TEST(cache.size() == 0u);  // failures are never cached
}

BOOST_AUTO_TEST_CASE(cache_hit_returns_the_same_principal) {
    auth::token_cache cache;
    const std::string token = token_for("cached-user");
    const auto first = make_authenticator().authenticate("Bearer " + token, "", cache, now);
    BOOST_TEST(is_user(first, "cached-user"));
    BOOST_TEST(cache.size() == 1u);
    // An authenticator whose secret would reject the token still answers from the cache, which
    // proves the second answer came from there and not from a fresh signature check.
    const auto other = make_authenticator("a-different-secret");
    BOOST_TEST(is_user(other.authenticate("Bearer " + token, "", cache, now + 5), "cached-user"));
    BOOST_TEST(is_user(other.authenticate("", token, cache, now + 5), "cached-user"));
    BOOST_TEST(cache.size() == 1u);
    // A different token is not a hit.
    auth::token_cache fresh;
    BOOST_TEST(is_error(other.authenticate("Bearer " + token, "", fresh, now), auth::auth_error::invalid_credentials));
}

BOOST_AUTO_TEST_CASE(expired_cached_token_is_rejected) {
    const auto authenticator = make_authenticator();
    auth::token_cache cache;
    const std::string token = token_for("short-lived", now + 10);
    BOOST_TEST(is_user(authenticator.authenticate("Bearer " + token, "", cache, now), "short-lived"));
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(is_user(authenticator.authenticate("Bearer " + token, "", cache, now + 9), "short-lived"));
    BOOST_TEST(is_error(authenticator.authenticate("Bearer " + token, "", cache, now + 10), auth::auth_error::invalid_credentials));
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
