#include "handlers/router.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace progressd;

namespace {

const std::string service_key = "router-test-key-0123456789";
constexpr std::int64_t now_ms = 1'700'000'000'000;

beast_request make_request(http::verb method, std::string_view target, std::string_view authorization = {}) {
    beast_request request{method, target, 11};
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    return request;
}

// Another API family's error format: same status, plain text.
http_response plain_error(const api_error& error) {
    http_response response{static_cast<http::status>(status_of(error.code)), 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = "family format: " + error.detail;
    return response;
}

// The format a family gives for the paths it claims with a prefix.
http_response prefix_error(const api_error& error) {
    http_response response{static_cast<http::status>(status_of(error.code)), 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = "prefix format: " + error.detail;
    return response;
}

http_response inner_error(const api_error& error) {
    http_response response{static_cast<http::status>(status_of(error.code)), 11};
    response.body() = "inner format: " + error.detail;
    return response;
}

// A small routing table whose handlers echo what the router gave them and count their calls.
struct routing {
    auth::authenticator authenticator{auth::jwt_verifier("router-test-secret"), auth::api_keys({service_key})};
    router routes{authenticator};
    thread_metrics metrics{16};
    thread_context thread{{}, metrics};
    int calls = 0;

    routing() {
        routes.add(http::verb::get, "/v1/ping", echo(), {.authenticated = false});
        routes.add(http::verb::get, "/v1/progress/{content_id}", echo());
        routes.add(http::verb::put, "/v1/progress/{content_id}", echo());
        routes.add(http::verb::delete_, "/v1/progress/{content_id}", echo());
        routes.add(http::verb::post, "/v1/batch", echo(), {.body_limit_multiplier = 16});
        routes.add(http::verb::get, "/v1/users/{user_id}/contexts/{context_id}", echo());
        routes.add(http::verb::get, "/family/{id}", echo(), {.write_error = plain_error});
        routes.add(http::verb::get, "/family/{id}/native", echo());  // under the prefix, no writer of its own
        routes.add_family_prefix("/family", prefix_error);
        routes.add_family_prefix("/family/{id}/inner", inner_error);
    }

    // Body: "params=<p0>,<p1> query=<query> principal=<user|service|none>".
    route_handler echo() {
        return [this](request_context& context) {
            ++calls;
            http_response response{http::status::ok, 11};
            auto& body = response.body();
            body = "params=" + std::string(context.params[0]) + "," + std::string(context.params[1]);
            body += " query=" + std::string(context.query);
            body += " principal=";
            body += !context.principal                                          ? "none"
                    : context.principal->role == auth::principal::kind::service ? "service"
                                                                                : "user";
            return handler_result{std::move(response)};
        };
    }

    dispatch_result dispatch(http::verb method, std::string_view target, std::string_view authorization = {}) {
        return routes.dispatch(http_request::view_of(make_request(method, target, authorization)), thread, now_ms);
    }
    dispatch_result get(std::string_view target) { return dispatch(http::verb::get, target, "Bearer " + service_key); }
};

unsigned status_of(const dispatch_result& dispatched) { return dispatched.result.response.result_int(); }
const std::string& body_of(const dispatch_result& dispatched) { return dispatched.result.response.body(); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(router_suite, routing)

BOOST_AUTO_TEST_CASE(exact_paths_and_parameters_match) {
    const auto ping = dispatch(http::verb::get, "/v1/ping");
    BOOST_TEST(status_of(ping) == 200u);
    BOOST_TEST(routes.pattern_label(ping.route) == "/v1/ping");

    const auto two = get("/v1/users/u-1/contexts/course.7");
    BOOST_TEST(status_of(two) == 200u);
    BOOST_TEST(body_of(two) == "params=u-1,course.7 query= principal=service");
    BOOST_TEST(routes.pattern_label(two.route) == "/v1/users/{user_id}/contexts/{context_id}");
    BOOST_TEST(routes.method_label(two.route) == "GET");
    BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(head_is_served_by_the_get_route_without_a_body) {
    const auto head = dispatch(http::verb::head, "/v1/ping");
    BOOST_TEST(status_of(head) == 200u);
    BOOST_TEST(body_of(head).empty());
    // The length the GET body would have had.
    const auto get_body = body_of(dispatch(http::verb::get, "/v1/ping"));
    BOOST_TEST(head.result.response[http::field::content_length] == std::to_string(get_body.size()));
    BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(head_errors_have_no_body_either) {
    // A body after a HEAD response would be read as the next response on a keep-alive connection.
    const auto missing = dispatch(http::verb::head, "/v2/nothing");
    BOOST_TEST(status_of(missing) == 404u);
    BOOST_TEST(body_of(missing).empty());
    BOOST_TEST(missing.result.response[http::field::content_length] ==
               std::to_string(body_of(dispatch(http::verb::get, "/v2/nothing")).size()));

    const auto anonymous = dispatch(http::verb::head, "/v1/progress/c1");
    BOOST_TEST(status_of(anonymous) == 401u);
    BOOST_TEST(body_of(anonymous).empty());
    BOOST_TEST(!anonymous.result.response[http::field::content_length].empty());

    const auto not_allowed = dispatch(http::verb::head, "/v1/batch");
    BOOST_TEST(status_of(not_allowed) == 405u);
    BOOST_TEST(body_of(not_allowed).empty());
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_a_404_problem) {
    const auto missing = get("/v2/nothing");
    BOOST_TEST(status_of(missing) == 404u);
    BOOST_TEST(missing.result.response[http::field::content_type] == "application/problem+json");
    const auto problem = boost::json::parse(body_of(missing)).as_object();
    BOOST_TEST(problem.at("status").to_number<int>() == 404);
    BOOST_TEST(problem.at("type").as_string() == "https://progressd.dev/problems/not-found");
    // Counted under the extra "unmatched" metrics label.
    BOOST_TEST(missing.route == routes.route_count() - 1);
    BOOST_TEST(routes.pattern_label(missing.route) == "unmatched");
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(a_known_path_with_another_method_is_a_405_with_allow) {
    const auto post = dispatch(http::verb::post, "/v1/ping");
    BOOST_TEST(status_of(post) == 405u);
    BOOST_TEST(post.result.response[http::field::allow] == "GET, HEAD");

    // Every method of the path, in registration order; checked before credentials.
    const auto patch = dispatch(http::verb::patch, "/v1/progress/c1");
    BOOST_TEST(status_of(patch) == 405u);
    BOOST_TEST(patch.result.response[http::field::allow] == "GET, HEAD, PUT, DELETE");
    BOOST_TEST(patch.result.response[http::field::content_type] == "application/problem+json");
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(authenticated_routes_refuse_before_the_handler_runs) {
    const auto anonymous = dispatch(http::verb::get, "/v1/progress/c1");
    BOOST_TEST(status_of(anonymous) == 401u);
    BOOST_TEST(anonymous.result.response[http::field::www_authenticate] == "Bearer");
    BOOST_TEST(body_of(anonymous).find("missing-credentials") != std::string::npos);

    const auto wrong_key = dispatch(http::verb::get, "/v1/progress/c1", "Bearer not-a-key-nor-a-jwt");
    BOOST_TEST(status_of(wrong_key) == 401u);
    BOOST_TEST(body_of(wrong_key).find("invalid-credentials") != std::string::npos);
    BOOST_TEST(calls == 0);

    const auto allowed = get("/v1/progress/c1");
    BOOST_TEST(status_of(allowed) == 200u);
    BOOST_TEST(body_of(allowed) == "params=c1, query= principal=service");
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(public_routes_run_without_credentials) {
    const auto ping = dispatch(http::verb::get, "/v1/ping");
    BOOST_TEST(status_of(ping) == 200u);
    BOOST_TEST(body_of(ping) == "params=, query= principal=none");
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_family_error_writer_formats_its_routes_errors) {
    const auto anonymous = dispatch(http::verb::get, "/family/x");
    BOOST_TEST(status_of(anonymous) == 401u);
    BOOST_TEST(anonymous.result.response[http::field::content_type] == "text/plain");
    BOOST_TEST(body_of(anonymous) == "family format: this endpoint needs a bearer token or an API key");
    BOOST_TEST(routes.error_for("/family/x?a=b", {error_code::body_too_large, "too big", {}, {}}).body() ==
               "family format: too big");
    BOOST_TEST(routes.error_for("/v1/ping", {error_code::body_too_large, "too big", {}, {}}).result_int() == 413u);
    // A wrong method on the route's path is the route's family's too, with Allow.
    const auto wrong_method = dispatch(http::verb::post, "/family/x");
    BOOST_TEST(status_of(wrong_method) == 405u);
    BOOST_TEST(body_of(wrong_method) == "family format: allowed: GET, HEAD");
    BOOST_TEST(wrong_method.result.response[http::field::allow] == "GET, HEAD");
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(a_family_prefix_formats_what_no_route_answers_under_it) {
    const auto missing = get("/family/x/nothing");
    BOOST_TEST(status_of(missing) == 404u);
    BOOST_TEST(missing.result.response[http::field::content_type] == "text/plain");
    BOOST_TEST(body_of(missing) == "prefix format: no resource at this path");
    BOOST_TEST(routes.pattern_label(missing.route) == "unmatched");
    BOOST_TEST(body_of(get("/family")) == "prefix format: no resource at this path");

    // A route without a writer under the prefix: its 405 is the prefix's, Allow set by the router.
    const auto wrong_method = dispatch(http::verb::put, "/family/x/native");
    BOOST_TEST(status_of(wrong_method) == 405u);
    BOOST_TEST(body_of(wrong_method) == "prefix format: allowed: GET, HEAD");
    BOOST_TEST(wrong_method.result.response[http::field::allow] == "GET, HEAD");

    // The longest prefix wins; a parameter segment matches any segment.
    BOOST_TEST(body_of(get("/family/x/inner")) == "inner format: no resource at this path");
    BOOST_TEST(body_of(get("/family/y/inner/deeper")) == "inner format: no resource at this path");
    BOOST_TEST(body_of(get("/family/x/innerx")) == "prefix format: no resource at this path");

    // Prefixes match whole segments, from the root.
    for (const auto* outside : {"/familyx", "/v1/family", "/famil", "/"}) {
        BOOST_TEST_CONTEXT(outside) {
            const auto other = get(outside);
            BOOST_TEST(status_of(other) == 404u);
            BOOST_TEST(other.result.response[http::field::content_type] == "application/problem+json");
        }
    }

    // HEAD: the family's status and length, no body.
    const auto head = dispatch(http::verb::head, "/family/x/nothing");
    BOOST_TEST(status_of(head) == 404u);
    BOOST_TEST(body_of(head).empty());
    BOOST_TEST(head.result.response[http::field::content_length] == std::to_string(body_of(missing).size()));

    // Errors found before a handler follow the same rule.
    const api_error too_big{error_code::body_too_large, "too big", {}, {}};
    BOOST_TEST(routes.error_for("/family/x/nothing?a=b", too_big).body() == "prefix format: too big");
    BOOST_TEST(routes.error_for("/family/x/native", too_big).body() == "prefix format: too big");
    BOOST_TEST(routes.error_for("/nowhere", too_big)[http::field::content_type] == "application/problem+json");
    BOOST_TEST(calls == 0);

    // Matched routes are untouched by prefixes.
    const auto matched = get("/family/x/native");
    BOOST_TEST(status_of(matched) == 200u);
    BOOST_TEST(body_of(matched) == "params=x, query= principal=service");
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(body_limit_follows_the_route) {
    BOOST_TEST(routes.body_limit_for(http::verb::post, "/v1/batch", 1000) == 16000u);
    BOOST_TEST(routes.body_limit_for(http::verb::post, "/v1/batch?dry_run=1", 1000) == 16000u);
    BOOST_TEST(routes.body_limit_for(http::verb::put, "/v1/progress/c1", 1000) == 1000u);
    BOOST_TEST(routes.body_limit_for(http::verb::get, "/v1/batch", 1000) == 1000u);  // no such route
    BOOST_TEST(routes.body_limit_for(http::verb::post, "/nowhere", 1000) == 1000u);
}

BOOST_AUTO_TEST_CASE(the_query_string_is_ignored_for_matching) {
    const auto with_query = get("/v1/progress/c1?user_id=u1&next=/v1/ping");
    BOOST_TEST(status_of(with_query) == 200u);
    BOOST_TEST(body_of(with_query) == "params=c1, query=user_id=u1&next=/v1/ping principal=service");
    BOOST_TEST(status_of(dispatch(http::verb::get, "/v1/ping?")) == 200u);
}

BOOST_AUTO_TEST_CASE(paths_match_segment_by_segment_without_normalising) {
    // No trailing-slash or empty-segment forgiveness: each is another path.
    BOOST_TEST(status_of(dispatch(http::verb::get, "/v1/ping/")) == 404u);
    BOOST_TEST(status_of(dispatch(http::verb::get, "/v1//ping")) == 404u);
    BOOST_TEST(status_of(get("/v1/progress/")) == 404u);  // a parameter is never empty
    BOOST_TEST(status_of(get("/v1/progress/c1/")) == 404u);
    BOOST_TEST(status_of(get("v1/ping")) == 404u);  // not origin-form
    BOOST_TEST(status_of(get("")) == 404u);

    // Parameters are percent-decoded after the path is split, so an encoded slash stays inside
    // its segment (and is then refused by id validation); '+' stays a '+'. Literal segments
    // compare raw: clients do not encode the fixed parts of a path.
    BOOST_TEST(body_of(get("/v1/progress/a%3Ab")) == "params=a:b, query= principal=service");
    BOOST_TEST(body_of(get("/v1/progress/u%40example.com")) == "params=u@example.com, query= principal=service");
    BOOST_TEST(body_of(get("/v1/progress/a%2Fb")) == "params=a/b, query= principal=service");
    BOOST_TEST(body_of(get("/v1/progress/a+b%2")) == "params=a+b%2, query= principal=service");
    BOOST_TEST(status_of(dispatch(http::verb::get, "/v1/%70ing")) == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
