// Harness: the request-head fast path (server/request_head.hpp) against Beast's parser. The input
// is raw bytes as a client would send them. Whenever scan_request_head accepts, Beast's parser,
// given the same head and body, must parse without error, use exactly the same bytes, and produce
// the request build_request makes: the same method, target, version, fields (in Beast's order),
// field lookups, keep-alive and body. The fast path may only ever decline a request, never read
// one differently (which would be a smuggling hole).

#include "server/request_head.hpp"
#include "tests/unit/fields_by_name.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http = boost::beast::http;

namespace {

constexpr std::size_t header_limit = 8 * 1024;  // the server's default

void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "request_head_fuzz: %s\n", what);
    std::abort();
}

using progressd::testing::by_name;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    progressd::simple_head head;
    if (!progressd::scan_request_head(bytes, header_limit, head)) return 0;
    require(head.head_bytes <= bytes.size(), "the head runs past the input");
    // The session only takes the request when the whole body is there; so does this check.
    if (bytes.size() - head.head_bytes < head.content_length) return 0;
    const std::size_t total = head.head_bytes + head.content_length;

    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(std::uint64_t{1} << 40);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), total), ec);
    require(!ec, "Beast refuses a request the fast path accepted");
    require(parser.is_done(), "Beast needs more bytes than the fast path took");
    require(used == total, "Beast used a different number of bytes");
    const auto& message = parser.get();
    progressd::http_request built;
    progressd::build_request(head, bytes.substr(head.head_bytes, head.content_length), built);
    require(message.method() == built.method(), "the method differs");
    require(message.target() == built.target(), "the target differs");
    require(message.version() == built.version(), "the version differs");
    require(message.body() == built.body(), "the body differs");
    require(message.keep_alive() == built.keep_alive(), "keep-alive differs");
    // Beast keeps repeated names together; both keep their order among themselves, and every
    // lookup answers the first of a name, whatever its case.
    std::vector<std::pair<std::string, std::string>> theirs;
    for (const auto& field : message) {
        theirs.emplace_back(field.name_string(), field.value());
        require(message[field.name_string()] == built[field.name_string()], "a field lookup differs");
    }
    std::vector<std::pair<std::string, std::string>> mine;
    for (std::size_t i = 0; i < built.field_count(); ++i) mine.emplace_back(built.field(i).first, built.field(i).second);
    require(by_name(theirs) == by_name(mine), "the fields differ");
    return 0;
}
