#pragma once
// Where a webhook delivery goes, from its URL: only plain http (TLS is left to a proxy beside the
// server, docs/webhooks.md). Used where a webhook is registered, to refuse a URL the sender could
// not use, and by the sender itself.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace progressd {

inline constexpr std::size_t max_http_url_length = 2048;

struct http_target {
    std::string host;
    std::string port;    // "80" when the URL names none
    std::string target;  // path and query, "/" when empty
};

// nullopt unless `url` is http://host[:port][/path][?query] in printable ASCII, without userinfo,
// at most max_http_url_length long; a fragment is dropped.
std::optional<http_target> parse_http_url(std::string_view url);

}  // namespace progressd
