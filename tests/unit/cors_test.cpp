#include "server/cors.hpp"

#include <boost/test/unit_test.hpp>

using progressd::cors_policy;
using progressd::http_request;
namespace http = progressd::http;

namespace {

http_request preflight_request(std::string_view origin, std::string_view method) {
    http_request request(http::verb::options, "/v1/progress", 11);
    if (!origin.empty()) request.add_field("Origin", origin);
    if (!method.empty()) request.add_field("Access-Control-Request-Method", method);
    return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cors)

BOOST_AUTO_TEST_CASE(off_by_default_and_allows_nothing) {
    const cors_policy off;
    BOOST_TEST(!off.enabled());
    BOOST_TEST(off.allowed("https://app.example.com").empty());
}

BOOST_AUTO_TEST_CASE(exact_origins_are_compared_byte_for_byte) {
    const cors_policy policy({"https://app.example.com", "http://localhost:3000"});
    BOOST_TEST(policy.enabled());
    BOOST_TEST(policy.allowed("https://app.example.com") == "https://app.example.com");
    BOOST_TEST(policy.allowed("http://localhost:3000") == "http://localhost:3000");
    BOOST_TEST(policy.allowed("http://app.example.com").empty());        // another scheme
    BOOST_TEST(policy.allowed("https://app.example.com:8443").empty());  // another port
    BOOST_TEST(policy.allowed("https://evil.app.example.com").empty());
    BOOST_TEST(policy.allowed("https://app.example.com.evil.net").empty());
    BOOST_TEST(policy.allowed("").empty());
}

BOOST_AUTO_TEST_CASE(star_allows_any_real_origin_but_not_the_opaque_null) {
    const cors_policy any({"*"});
    BOOST_TEST(any.allowed("https://anything.example") == "https://anything.example");
    BOOST_TEST(any.allowed("null").empty());
}

BOOST_AUTO_TEST_CASE(origins_a_browser_never_sends_are_refused_at_start) {
    BOOST_TEST(!cors_policy::check_origin("https://app.example.com"));
    BOOST_TEST(!cors_policy::check_origin("http://127.0.0.1:8080"));
    BOOST_TEST(!cors_policy::check_origin("*"));
    BOOST_TEST(cors_policy::check_origin("https://app.example.com/").has_value());
    BOOST_TEST(cors_policy::check_origin("https://app.example.com/player").has_value());
    BOOST_TEST(cors_policy::check_origin("app.example.com").has_value());
    BOOST_TEST(cors_policy::check_origin("https://").has_value());
    BOOST_TEST(cors_policy::check_origin("https://App.Example.com").has_value());
}

BOOST_AUTO_TEST_CASE(a_preflight_is_options_with_an_origin_and_a_requested_method) {
    BOOST_TEST(cors_policy::is_preflight(preflight_request("https://a.example", "POST")));
    BOOST_TEST(!cors_policy::is_preflight(preflight_request("https://a.example", "")));
    BOOST_TEST(!cors_policy::is_preflight(preflight_request("", "POST")));
    http_request get(http::verb::get, "/v1/progress", 11);
    get.add_field("Origin", "https://a.example");
    get.add_field("Access-Control-Request-Method", "POST");
    BOOST_TEST(!cors_policy::is_preflight(get));
}

BOOST_AUTO_TEST_CASE(a_preflight_answer_lists_methods_fields_and_lifetime) {
    const auto response = cors_policy::preflight("GET, HEAD, POST");
    BOOST_TEST(response.result_int() == 204);
    BOOST_TEST(response[http::field::access_control_allow_methods] == "GET, HEAD, POST");
    const std::string fields(response[http::field::access_control_allow_headers]);
    for (const char* name : {"Authorization", "Content-Type", "Prefer", "X-Authenticated-User-Token"}) {
        BOOST_TEST(fields.find(name) != std::string::npos, name);
    }
    BOOST_TEST(response[http::field::access_control_max_age] == "7200");
}

BOOST_AUTO_TEST_SUITE_END()
