#pragma once
// Cross-origin access for browsers: the CORS protocol of the Fetch standard, configured by
// --cors-allow-origins (docs/operations.md, "Browsers and CORS").
//
// A web player on another origin sends a preflight (OPTIONS with Origin and
// Access-Control-Request-Method) before each request that carries a token or a JSON body; the
// browser then hands the actual answer to the page only if it names the page's origin. So the
// policy answers preflights itself (never a handler), and names the origin on every answer to an
// allowed one. The per-answer fields are not stored in the response (an allocation each) but
// written by serialize_response from the origin it is given (server/response_writer.hpp).
//
// Off by default; then the session's only cost is one test of enabled().

#include "handlers/http_types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

class cors_policy {
public:
    cors_policy() = default;  // allows no origin: CORS off
    // `origins`: exact origins ("https://app.example.com", compared byte for byte as browsers
    // send them), or "*" for any.
    explicit cors_policy(std::vector<std::string> origins);

    // Why `origin` cannot appear in --cors-allow-origins (a path, a trailing slash, no scheme…),
    // or nothing when it can: a mistyped origin would otherwise fail silently in every browser.
    static std::optional<std::string> check_origin(std::string_view origin);

    bool enabled() const { return any_ || !origins_.empty(); }
    // `origin` (a request's Origin field) when the policy allows it, else "".
    std::string_view allowed(std::string_view origin) const;

    static bool is_preflight(const http_request& request);
    // The answer to a preflight from an allowed origin at a path whose routes take `methods`
    // ("GET, HEAD, POST"): 204 with what the page may send. The origin's own fields are added
    // when it is written, as for every answer.
    static http_response preflight(std::string_view methods);

private:
    std::vector<std::string> origins_;
    bool any_ = false;
};

}  // namespace progressd
