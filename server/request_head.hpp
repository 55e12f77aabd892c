#pragma once
// A strict scanner for the common shape of an HTTP/1.1 request head, so a ping does not pay for
// Beast's general parser.
//
// Like handlers/json/flat_json.hpp, it is a fast path and never decides an error: it accepts only heads
// it can check completely and answers "not handled" for everything else, and the session then runs
// Beast's parser over the same bytes, with every limit and protection (413, 431, chunked bodies,
// Transfer-Encoding refusal, obs-fold, bare LF, odd methods and targets). The subset: a complete
// head within the header limit; a known method; an origin-form target of visible ASCII; HTTP/1.1
// or HTTP/1.0; fields of token names and visible-ASCII values; no Transfer-Encoding; at most one
// Content-Length, plain digits. Whatever it accepts, Beast's parser parses to the same message
// (tests/unit/request_head_test.cpp and fuzz/router_fuzz.cpp check that).
//
// Thread-safety: pure functions.

#include "handlers/http_types.hpp"

#include <boost/beast/http/verb.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

namespace progressd {

inline constexpr std::size_t max_simple_fields = 32;

struct simple_head {
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    std::string_view target;
    unsigned version = 11;
    std::array<std::pair<std::string_view, std::string_view>, max_simple_fields> fields{};  // name, trimmed value
    std::size_t field_count = 0;
    std::size_t content_length = 0;  // 0 when absent
    std::size_t head_bytes = 0;      // through the blank line
};

// True when `bytes` starts with a whole request head inside the subset, of fewer than
// `header_limit` bytes; `out` then describes it (views into `bytes`).
bool scan_request_head(std::string_view bytes, std::size_t header_limit, simple_head& out);

// The request Beast's parser would have produced from the head and `body` (content_length bytes):
// the same method, target, version, fields (in order), body and keep-alive; views into both.
// Whatever `out` held before is replaced.
void build_request(const simple_head& head, std::string_view body, http_request& out);

}  // namespace progressd
