#include "server/response_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using progressd::http_response;
using progressd::response_framing;
using progressd::serialize_response;
namespace http = boost::beast::http;

namespace {

std::string wire(const http_response& response, response_framing framing) {
    std::string out = "left over";
    serialize_response(response, framing, out);
    return out;
}

http_response json(http::status status, std::string body) {
    http_response response{status, 11};
    response.set(http::field::content_type, "application/json");
    response.body() = std::move(body);
    return response;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_writer)

BOOST_AUTO_TEST_CASE(keep_alive_http11_gets_only_a_length) {
    BOOST_TEST(wire(json(http::status::ok, "{}"), {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

BOOST_AUTO_TEST_CASE(connection_says_what_differs_from_the_version_default) {
    BOOST_TEST(wire(json(http::status::ok, "{}"), {.version = 11, .keep_alive = false, .head = false}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    BOOST_TEST(wire(json(http::status::ok, "{}"), {.version = 10, .keep_alive = true, .head = false}) ==
               "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
    BOOST_TEST(wire(json(http::status::ok, "{}"), {.version = 10, .keep_alive = false, .head = false}) ==
               "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

BOOST_AUTO_TEST_CASE(head_keeps_the_routers_length_and_sends_no_body) {
    auto response = json(http::status::ok, "");
    response.content_length(42);  // as the router sets it for HEAD
    BOOST_TEST(wire(response, {.version = 11, .keep_alive = true, .head = true}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_length_set_by_the_handler_is_not_repeated) {
    auto response = json(http::status::ok, "abc");
    response.prepare_payload();
    BOOST_TEST(wire(response, {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\nabc");
}

BOOST_AUTO_TEST_CASE(statuses_without_content_get_neither_length_nor_body) {
    BOOST_TEST(wire(http_response{http::status::no_content, 11}, {.version = 11, .keep_alive = true, .head = false}) == "HTTP/1.1 204 No Content\r\n\r\n");
    BOOST_TEST(wire(http_response{http::status::not_modified, 11}, {.version = 11, .keep_alive = false, .head = false}) ==
               "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
    BOOST_TEST(wire(json(http::status::not_found, "{}"), {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

BOOST_AUTO_TEST_CASE(content_without_a_type_is_sent_as_json) {
    http_response response{http::status::created, 11};
    response.body() = R"({"ok":true})";
    BOOST_TEST(wire(response, {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
    // HEAD: no body, but the length its GET would have had, so the type too.
    response.body().clear();
    response.content_length(11);
    BOOST_TEST(wire(response, {.version = 11, .keep_alive = true, .head = true}) ==
               "HTTP/1.1 201 Created\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_type_set_by_the_handler_is_kept_and_not_joined_by_json) {
    http_response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/csv; charset=utf-8");
    response.body() = "a,b\n";
    BOOST_TEST(wire(response, {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Length: 4\r\n\r\na,b\n");
}

BOOST_AUTO_TEST_CASE(no_content_means_no_type) {
    BOOST_TEST(wire(http_response{http::status::ok, 11}, {.version = 11, .keep_alive = true, .head = false}) ==
               "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    http_response no_content{http::status::no_content, 11};
    no_content.body() = "ignored";  // 204 carries no content whatever the handler left
    BOOST_TEST(wire(no_content, {.version = 11, .keep_alive = true, .head = false}) == "HTTP/1.1 204 No Content\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(every_503_says_when_to_retry_unless_the_handler_did) {
    BOOST_TEST(wire(json(http::status::service_unavailable, "{}"), {.version = 11, .keep_alive = true}) ==
               "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Retry-After: 1\r\n\r\n{}");
    auto own = json(http::status::service_unavailable, "{}");
    own.set(http::field::retry_after, "30");
    BOOST_TEST(wire(own, {.version = 11, .keep_alive = true}) ==
               "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 30\r\n"
               "Content-Length: 2\r\n\r\n{}");
    const auto other = wire(json(http::status::internal_server_error, "{}"), {.version = 11, .keep_alive = true});
    BOOST_TEST(other.find("Retry-After") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(cors_on_names_an_allowed_origin_and_always_says_the_answer_varies_by_origin) {
    const response_framing allowed{.version = 11, .keep_alive = true, .vary_origin = true,
                                   .cors_origin = "https://app.example.com"};
    BOOST_TEST(wire(json(http::status::ok, "{}"), allowed) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Access-Control-Allow-Origin: https://app.example.com\r\n"
               "Access-Control-Expose-Headers: Allow, Content-Disposition, Location, Retry-After, WWW-Authenticate\r\n"
               "Vary: Origin\r\n\r\n{}");
    // Not allowed, or no Origin at all: no CORS fields, but a cache must still not reuse this
    // answer for a request from an allowed origin.
    BOOST_TEST(wire(json(http::status::ok, "{}"), {.version = 11, .keep_alive = true, .vary_origin = true}) ==
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nVary: Origin\r\n\r\n{}");
}

BOOST_AUTO_TEST_SUITE_END()
