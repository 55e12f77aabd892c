#include "server/forward_wire.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using progressd::http_request;
using progressd::http_response;
using progressd::serialize_forward_request;
using progressd::serialize_forwarded;
namespace http = boost::beast::http;

namespace {

std::string request_wire(const http_request& request) {
    std::string out = "left over";
    serialize_forward_request(request, "10.0.0.2:8080", "node-a", out);
    return out;
}

std::string answer_wire(const http_response& answer, unsigned version, bool keep_alive, bool head = false) {
    std::string out = "left over";
    serialize_forwarded(answer, version, keep_alive, head, out);
    return out;
}

// An owner's answer as the forwarder's parser leaves it: the fields as they came, the body whole.
http_response owner_answer(http::status status, std::string body) {
    http_response answer{status, 11};
    answer.set(http::field::content_type, "text/csv");
    answer.insert("X-Trace", "t-1");
    answer.body() = std::move(body);
    return answer;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(forward_wire)

BOOST_AUTO_TEST_CASE(a_request_keeps_its_line_fields_and_body_and_gains_the_guard_and_a_length) {
    http_request request(http::verb::post, "/v1/progress?x=1", 11);
    request.add_field("Host", "api.example.com");
    request.add_field("authorization", "Bearer t");
    request.add_field("Content-Length", "2");
    request.set_body("{}");
    BOOST_TEST(request_wire(request) ==
               "POST /v1/progress?x=1 HTTP/1.1\r\nHost: api.example.com\r\nauthorization: Bearer t\r\n"
               "X-Progressd-Forwarded-By: node-a\r\nContent-Length: 2\r\n\r\n{}");
}

BOOST_AUTO_TEST_CASE(a_request_loses_hop_by_hop_fields_expect_and_a_spoofed_guard) {
    http_request request(http::verb::post, "/v1/progress", 10);
    request.add_field("connection", "Keep-Alive, x-hop");
    request.add_field("Keep-Alive", "timeout=5");
    request.add_field("X-Hop", "1");
    request.add_field("Transfer-Encoding", "chunked");
    request.add_field("Expect", "100-continue");
    request.add_field("x-progressd-forwarded-by", "node-z");
    request.add_field("X-Kept", "yes");
    request.set_body("abc");
    BOOST_TEST(request_wire(request) ==
               "POST /v1/progress HTTP/1.1\r\nX-Kept: yes\r\nHost: 10.0.0.2:8080\r\n"
               "X-Progressd-Forwarded-By: node-a\r\nContent-Length: 3\r\n\r\nabc");
}

BOOST_AUTO_TEST_CASE(an_empty_post_with_a_length_keeps_it_and_a_get_without_one_gets_none) {
    http_request post(http::verb::post, "/v1/reset", 11);
    post.add_field("Host", "h");
    post.add_field("Content-Length", "0");
    BOOST_TEST(request_wire(post) == "POST /v1/reset HTTP/1.1\r\nHost: h\r\nX-Progressd-Forwarded-By: node-a\r\nContent-Length: 0\r\n\r\n");
    http_request get(http::verb::get, "/v1/progress/l", 11);
    get.add_field("Host", "h");
    BOOST_TEST(request_wire(get) == "GET /v1/progress/l HTTP/1.1\r\nHost: h\r\nX-Progressd-Forwarded-By: node-a\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(an_answer_keeps_status_reason_fields_and_body) {
    auto answer = owner_answer(http::status::created, "a,b\n");
    answer.reason("Made It");
    answer.set(http::field::content_length, "4");
    BOOST_TEST(answer_wire(answer, 11, true) ==
               "HTTP/1.1 201 Made It\r\nContent-Type: text/csv\r\nX-Trace: t-1\r\nContent-Length: 4\r\n\r\na,b\n");
}

BOOST_AUTO_TEST_CASE(the_connection_field_is_the_client_connections_own) {
    auto answer = owner_answer(http::status::ok, "x");
    answer.set(http::field::content_length, "1");
    answer.set(http::field::connection, "close, X-Owner-Hop");
    answer.set(http::field::keep_alive, "timeout=60");
    answer.set("X-Owner-Hop", "1");
    const std::string fields = "Content-Type: text/csv\r\nX-Trace: t-1\r\nContent-Length: 1\r\n";
    BOOST_TEST(answer_wire(answer, 11, true) == "HTTP/1.1 200 OK\r\n" + fields + "\r\nx");
    BOOST_TEST(answer_wire(answer, 11, false) == "HTTP/1.1 200 OK\r\n" + fields + "Connection: close\r\n\r\nx");
    BOOST_TEST(answer_wire(answer, 10, true) == "HTTP/1.0 200 OK\r\n" + fields + "Connection: keep-alive\r\n\r\nx");
    BOOST_TEST(answer_wire(answer, 10, false) == "HTTP/1.0 200 OK\r\n" + fields + "\r\nx");
}

BOOST_AUTO_TEST_CASE(a_chunked_answer_leaves_with_a_length) {
    auto answer = owner_answer(http::status::ok, "0123456789");
    answer.set(http::field::transfer_encoding, "chunked");
    BOOST_TEST(answer_wire(answer, 11, true) ==
               "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Trace: t-1\r\nContent-Length: 10\r\n\r\n0123456789");
}

BOOST_AUTO_TEST_CASE(a_head_answer_keeps_its_length_and_sends_no_body) {
    auto answer = owner_answer(http::status::ok, "");
    answer.set(http::field::content_length, "1234");
    BOOST_TEST(answer_wire(answer, 11, true, true) ==
               "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Trace: t-1\r\nContent-Length: 1234\r\n\r\n");
    answer.erase(http::field::content_length);  // a chunked HEAD answer: there is no length to give
    BOOST_TEST(answer_wire(answer, 11, true, true) == "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Trace: t-1\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(statuses_without_content_get_no_length) {
    http_response no_content{http::status::no_content, 11};
    BOOST_TEST(answer_wire(no_content, 11, true) == "HTTP/1.1 204 No Content\r\n\r\n");
    http_response not_modified{http::status::not_modified, 11};
    not_modified.set(http::field::etag, "\"v1\"");
    BOOST_TEST(answer_wire(not_modified, 11, true) == "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
