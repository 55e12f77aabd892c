#include "server/request_head.hpp"
#include "tests/unit/fields_by_name.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;
using progressd::scan_request_head;
using progressd::simple_head;

namespace {

constexpr std::size_t header_limit = 8 * 1024;

// Beast's reading of the same bytes: the message and the bytes it used, or nothing on an error.
struct beast_reading {
    http::request<http::string_body> message;
    std::size_t used = 0;
};

std::optional<beast_reading> beast_parse(std::string_view bytes) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(1 << 20);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec || !parser.is_done()) return std::nullopt;
    return beast_reading{parser.release(), used};
}

using progressd::testing::by_name;

// When the scanner accepts, Beast must agree on every part of the message.
void check_agrees_with_beast(std::string_view bytes) {
    simple_head head;
    if (!scan_request_head(bytes, header_limit, head)) return;
    const std::size_t total = head.head_bytes + head.content_length;
    BOOST_TEST_REQUIRE(bytes.size() >= total);
    const auto beast = beast_parse(bytes.substr(0, total));
    BOOST_TEST_REQUIRE(beast.has_value(), "accepted but Beast refuses: " << bytes);
    BOOST_TEST(beast->used == total);
    progressd::http_request built;
    progressd::build_request(head, bytes.substr(head.head_bytes, head.content_length), built);
    BOOST_TEST((beast->message.method() == built.method()));
    BOOST_TEST(beast->message.target() == built.target());
    BOOST_TEST(beast->message.version() == built.version());
    BOOST_TEST(beast->message.body() == built.body());
    BOOST_TEST(beast->message.keep_alive() == built.keep_alive());
    // Beast keeps repeated names together; both keep their order among themselves, and every
    // lookup answers the first of a name, whatever its case.
    std::vector<std::pair<std::string, std::string>> theirs;
    for (const auto& field : beast->message) {
        theirs.emplace_back(field.name_string(), field.value());
        BOOST_TEST(beast->message[field.name_string()] == built[field.name_string()]);
    }
    std::vector<std::pair<std::string, std::string>> mine;
    for (std::size_t i = 0; i < built.field_count(); ++i) mine.emplace_back(built.field(i).first, built.field(i).second);
    BOOST_TEST((by_name(theirs) == by_name(mine)));
}

bool scans(std::string_view bytes) {
    simple_head head;
    check_agrees_with_beast(bytes);
    return scan_request_head(bytes, header_limit, head);
}

const std::string ping_head = "POST /v1/progress HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer key\r\n"
                              "Content-Type: application/json\r\nContent-Length: 17\r\n\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(request_head)

BOOST_AUTO_TEST_CASE(a_ping_head_is_read) {
    const std::string bytes = ping_head + R"({"content_id":"c"})";
    simple_head head;
    BOOST_TEST_REQUIRE(scan_request_head(bytes, header_limit, head));
    BOOST_TEST((head.method == http::verb::post));
    BOOST_TEST(head.target == "/v1/progress");
    BOOST_TEST(head.version == 11u);
    BOOST_TEST(head.field_count == 4u);
    BOOST_TEST(head.fields[1].first == "Authorization");
    BOOST_TEST(head.fields[1].second == "Bearer key");
    BOOST_TEST(head.content_length == 17u);
    BOOST_TEST(head.head_bytes == ping_head.size());
    check_agrees_with_beast(bytes);
}

BOOST_AUTO_TEST_CASE(common_shapes_agree_with_beast) {
    for (const std::string& bytes : {
             std::string("GET /livez HTTP/1.1\r\n\r\n"),
             std::string("GET /v1/progress/x?user_id=u HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
             std::string("HEAD /readyz HTTP/1.1\r\nhost:\tx \t\r\nX-Empty:\r\nconnection: Close\r\n\r\n"),
             std::string("DELETE /v1/progress/a%20b HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
             std::string("POST /v1/progress HTTP/1.1\r\nContent-Length: 007\r\n\r\n{\"a\":1}GET / HTTP/1.1\r\n\r\n"),
             std::string("GET / HTTP/1.1\r\nHost: a\r\nAccept: b\r\nhost: c\r\n\r\n"),  // Beast groups equal names
         }) {
        BOOST_TEST(scans(bytes), bytes);
    }
}

BOOST_AUTO_TEST_CASE(everything_outside_the_subset_is_left_to_beast) {
    for (const std::string& bytes : {
             std::string("GET /livez HTTP/1.1\r\n"),                                      // incomplete
             std::string("GET /livez HTTP/1.1\n\n"),                                      // bare LF
             std::string("GET /livez HTTP/1.1\r\nA: b\nC: d\r\n\r\n"),
             std::string("GET /livez HTTP/1.1\r\nA: b\rC: d\r\n\r\n"),
             std::string("GET /livez HTTP/1.1\r\nA: b\r\n c\r\n\r\n"),                    // obs-fold
             std::string("GET /livez HTTP/1.1\r\nA : b\r\n\r\n"),                         // space before colon
             std::string("GET /livez HTTP/1.1\r\n: b\r\n\r\n"),
             std::string("GET /livez HTTP/1.1\r\nA\r\n\r\n"),
             std::string("GET /livez HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n"),                // obs-text
             std::string("GET /livez HTTP/1.1\r\nA: \x01\r\n\r\n"),
             std::string("BREW /livez HTTP/1.1\r\n\r\n"),                                 // unknown method
             std::string("get /livez HTTP/1.1\r\n\r\n"),
             std::string("GET  /livez HTTP/1.1\r\n\r\n"),
             std::string("GET * HTTP/1.1\r\n\r\n"),
             std::string("GET http://x/livez HTTP/1.1\r\n\r\n"),
             std::string("GET /li\x7fvez HTTP/1.1\r\n\r\n"),
             std::string("GET /livez HTTP/2.0\r\n\r\n"),
             std::string("GET /livez HTTP/1.1 \r\n\r\n"),
             std::string("GET /livez\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab"),
             std::string("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\na"),
             std::string("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na"),
             std::string("POST / HTTP/1.1\r\nContent-Length: 0x1\r\n\r\na"),
             std::string("POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\na"),
             std::string("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n"),
             std::string("\r\nGET / HTTP/1.1\r\n\r\n"),
         }) {
        BOOST_TEST(!scans(bytes), bytes);
    }
}

BOOST_AUTO_TEST_CASE(heads_at_the_header_limit_are_left_to_beast) {
    std::string big = "GET / HTTP/1.1\r\nX: " + std::string(header_limit, 'a') + "\r\n\r\n";
    BOOST_TEST(!scans(big));
    std::string fits = "GET / HTTP/1.1\r\nX: " + std::string(header_limit - 100, 'a') + "\r\n\r\n";
    BOOST_TEST(scans(fits));
    std::string many = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i <= progressd::max_simple_fields; ++i) {
        many += 'X';
        many += std::to_string(i);
        many += ": v\r\n";
    }
    BOOST_TEST(!scans(many + "\r\n"));
}

BOOST_AUTO_TEST_CASE(long_targets_and_values_are_checked_at_every_byte) {
    // Targets and values are scanned 16 bytes at a time: a byte outside the subset must be found
    // wherever it sits in a block, and a run of allowed bytes must be read whole.
    const std::string filler(40, 'a');
    for (std::size_t at = 0; at < filler.size(); ++at) {
        for (const char odd : {'\x7f', '\x80', '\xff', '\x00', '\x1f', '\r', ' ', '\t'}) {
            std::string value = filler;
            value[at] = odd;
            const bool blank = odd == ' ' || odd == '\t';
            // Inner blanks are part of a value; anything else is Beast's to judge.
            BOOST_TEST(scans("GET / HTTP/1.1\r\nX-Long: " + value + "\r\n\r\n") == blank,
                       "value byte " << int(static_cast<unsigned char>(odd)) << " at " << at);
            // A target ends at a blank; a target with any other odd byte is declined.
            std::string target = "/" + filler;
            target[at + 1] = odd;
            BOOST_TEST(!scans("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"),
                       "target byte " << int(static_cast<unsigned char>(odd)) << " at " << at);
        }
    }
    simple_head head;
    const std::string long_head = "GET /" + filler + filler + " HTTP/1.1\r\nAuthorization: Bearer " + filler + filler +
                                  filler + "\r\n\r\n";
    BOOST_TEST_REQUIRE(scan_request_head(long_head, header_limit, head));
    BOOST_TEST(head.target.size() == 81u);
    BOOST_TEST(head.fields[0].second.size() == 127u);
    check_agrees_with_beast(long_head);
}

// A session keeps one head and one request for all its requests: each must read as if fresh, with
// nothing of the one before (more fields, a body, Connection: close, HTTP/1.0) left over.
BOOST_AUTO_TEST_CASE(one_head_and_one_request_serve_a_session) {
    std::string many_fields = "POST /v1/progress/batch HTTP/1.0\r\nConnection: keep-alive\r\n";
    for (int i = 0; i < 20; ++i) many_fields += "X-Field-" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
    many_fields += "Content-Length: 2\r\n\r\n{}";
    const std::vector<std::string> session = {
        many_fields,
        "GET /v1/progress/x HTTP/1.1\r\nConnection: close\r\n\r\n",
        ping_head + R"({"content_id":"c"})",
        "GET /livez HTTP/1.1\r\n\r\n",
    };
    simple_head head;
    progressd::http_request reused;
    for (const auto& bytes : session) {
        BOOST_TEST_REQUIRE(scan_request_head(bytes, header_limit, head), bytes);
        const auto body = std::string_view(bytes).substr(head.head_bytes, head.content_length);
        progressd::build_request(head, body, reused);
        simple_head fresh_head;
        BOOST_TEST_REQUIRE(scan_request_head(bytes, header_limit, fresh_head));
        progressd::http_request fresh;
        progressd::build_request(fresh_head, body, fresh);
        BOOST_TEST((reused.method() == fresh.method()));
        BOOST_TEST(reused.target() == fresh.target());
        BOOST_TEST(reused.version() == fresh.version());
        BOOST_TEST(reused.keep_alive() == fresh.keep_alive());
        BOOST_TEST(reused.body() == fresh.body());
        BOOST_TEST_REQUIRE(reused.field_count() == fresh.field_count());
        for (std::size_t i = 0; i < fresh.field_count(); ++i) BOOST_TEST((reused.field(i) == fresh.field(i)));
        BOOST_TEST(reused["X-Field-19"] == fresh["X-Field-19"]);
    }
    BOOST_TEST(reused.field_count() == 0u);
    BOOST_TEST(reused.keep_alive());
    BOOST_TEST(reused["Content-Length"].empty());
}

BOOST_AUTO_TEST_SUITE_END()
