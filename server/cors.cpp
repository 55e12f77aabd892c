#include "server/cors.hpp"

#include <algorithm>

namespace progressd {
namespace {

// What a page may send beyond the CORS-safelisted fields: credentials (both the bearer header and
// Sunbird's token field), JSON bodies, and Prefer: return=minimal.
constexpr std::string_view allowed_request_fields = "Authorization, Content-Type, Prefer, X-Authenticated-User-Token";
// How long a browser may reuse a preflight's answer: Chromium's ceiling (two hours), so a player
// pinging every few seconds pays for one preflight per path and two hours, not one per ping.
constexpr std::string_view preflight_max_age_seconds = "7200";

}  // namespace

cors_policy::cors_policy(std::vector<std::string> origins) {
    any_ = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if (!any_) origins_ = std::move(origins);
}

std::optional<std::string> cors_policy::check_origin(std::string_view origin) {
    if (origin == "*") return std::nullopt;
    const auto scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
        return "an origin is scheme://host[:port], e.g. https://app.example.com";
    }
    const auto host = origin.substr(scheme_end + 3);
    if (host.empty()) return "the origin has no host";
    if (host.find_first_of("/?#") != std::string_view::npos) {
        return "an origin has no path, not even a trailing slash (browsers send https://app.example.com)";
    }
    if (std::any_of(origin.begin(), origin.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return "browsers send origins in lower case, and they are compared exactly";
    }
    return std::nullopt;
}

std::string_view cors_policy::allowed(std::string_view origin) const {
    if (origin.empty()) return {};
    // "null" (sandboxed frames, file: pages) is an opaque origin: allowing it would allow every one.
    if (any_) return origin == "null" ? std::string_view{} : origin;
    return std::find(origins_.begin(), origins_.end(), origin) != origins_.end() ? origin : std::string_view{};
}

bool cors_policy::is_preflight(const http_request& request) {
    return request.method() == http::verb::options && !request[http::field::origin].empty() &&
           !request[http::field::access_control_request_method].empty();
}

http_response cors_policy::preflight(std::string_view methods) {
    http_response response{http::status::no_content, 11};
    response.set(http::field::access_control_allow_methods, methods);
    response.set(http::field::access_control_allow_headers, allowed_request_fields);
    response.set(http::field::access_control_max_age, preflight_max_age_seconds);
    return response;
}

}  // namespace progressd
