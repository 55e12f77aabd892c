#pragma once
// Inside handlers/request_user.cpp only: which route acts on a user, and where its handler reads
// that user (handlers/request_user.hpp says the rules). Route by route, as the router matches
// them; a path no route serves is nobody's.

#include "handlers/http_types.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace progressd::request_user_parts {

// Where a route's handler finds the user a service names.
enum class source : std::uint8_t {
    nobody,            // the route acts on no user (or there is no such route)
    path_user,         // a path segment; `me` means nothing to a service
    path_user_any,     // a path segment where `me` is an ordinary id (Skilljar)
    summary_file,      // Sunbird's "{userId}_viewer_summary.{csv|json}"
    lesson_progress,   // Skilljar's signed "lp.<user>.<course>.<lesson>.<mac>"
    progress_token,    // Skilljar's signed "pt.<user>.<course>.<lesson>.<mac>"
    enrollment,        // Skilljar's enrollment id, base64url("<user>/<context>")
    query,             // ?user_id=
    body_user_id,      // {"user_id": …}
    body_pings,        // {"pings": [{"user_id": …}, …]}
    body_sunbird,      // {"request": {"userId": …}}
    body_skilljar,     // {"user": {"id": …}}
};

struct route_source {
    source from = source::nobody;
    std::string_view segment{};  // the raw path segment holding the user, for the path sources
};

// The path's segments, raw, as the router splits them: every '/' starts one, empty ones included.
// No route has more than 7; a longer path is nobody's.
constexpr std::size_t max_segments = 7;
struct path_segments {
    std::array<std::string_view, max_segments> at{};
    std::size_t size = 0;
};

// The path's segments, or nullopt for a path that is not absolute or has more than max_segments.
std::optional<path_segments> split_path(std::string_view path);
// Every route of every family that acts on a user, and where its handler reads that user.
route_source classify(http::verb m, const path_segments& s);

}  // namespace progressd::request_user_parts
