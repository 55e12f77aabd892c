// Which route acts on a user, and where its handler reads it (handlers/request_user_route.hpp).
#include "handlers/request_user_route.hpp"

#include <algorithm>
#include <initializer_list>

namespace progressd::request_user_parts {
namespace {

bool is_one_of(std::string_view value, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), value) != names.end();
}

// /v1/users/{user_id}/…: the native user resources and Skilljar's published courses.
route_source users_route(http::verb m, const path_segments& s) {
    using v = http::verb;
    const std::string_view user = s.at[2];
    const bool courses = s.size >= 4 && s.at[3] == "published-courses";
    switch (s.size) {
        case 3: return {m == v::delete_ ? source::path_user : source::nobody, user};
        case 4:
            if (m != v::get) break;
            if (courses) return {source::path_user_any, user};
            if (is_one_of(s.at[3], {"export", "progress", "enrolments", "continue"})) return {source::path_user, user};
            break;
        case 5:
            if (courses && (m == v::put || m == v::patch)) return {source::path_user_any, user};
            if (s.at[3] == "enrolments" && (m == v::get || m == v::put || m == v::delete_)) return {source::path_user, user};
            if (s.at[3] == "continue" && m == v::delete_) return {source::path_user, user};
            break;
        case 6:
            if (courses && s.at[5] == "lessons" && m == v::get) return {source::path_user_any, user};
            break;
        case 7:
            if (courses && s.at[5] == "lessons" && (m == v::put || m == v::patch)) return {source::path_user_any, user};
            break;
        default: break;
    }
    return {};
}

}  // namespace

std::optional<path_segments> split_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    path_segments out;
    std::size_t start = 1;
    while (true) {
        if (out.size == max_segments) return std::nullopt;
        const std::size_t slash = path.find('/', start);
        out.at[out.size++] = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (slash == std::string_view::npos) return out;
        start = slash + 1;
    }
}

// Every route of every family that acts on a user, and where its handler reads that user.
route_source classify(http::verb m, const path_segments& s) {
    using v = http::verb;
    if (m == v::head) m = v::get;  // the router serves HEAD as GET
    for (std::size_t i = 1; i < s.size; ++i) {
        // A parameter is never empty, and no literal is: an empty segment past the first matches nothing.
        if (s.at[i].empty()) return {};
    }
    const auto& at = s.at;
    if (s.size >= 4 && at[0] == "api" && at[1] == "v1" && at[2] == "education" && at[3] == "progress") {
        const bool route = (s.size == 5 && m == v::get) || (s.size == 6 && at[5] == "summary" && m == v::get) ||
                           (s.size == 7 && at[5] == "lessons" && m == v::put);
        return {route ? source::query : source::nobody};
    }
    if (s.size == 2 && at[0] == "musora-api" && at[1] == "reset") return {m == v::put ? source::query : source::nobody};
    if (s.size < 2 || at[0] != "v1") return {};

    const std::string_view resource = at[1];
    if (resource == "progress") {
        if (s.size == 2) return {m == v::post ? source::body_user_id : m == v::get ? source::query : source::nobody};
        if (s.size != 3) return {};
        if (m == v::post && at[2] == "batch") return {source::body_pings};
        return {m == v::get || m == v::delete_ ? source::query : source::nobody};
    }
    if (resource == "users" && s.size >= 3) return users_route(m, s);
    if (resource == "assessments") {
        if (s.size == 2) return {m == v::post ? source::body_user_id : source::nobody};
        return {s.size == 3 && m == v::get ? source::query : source::nobody};
    }
    if (resource == "progress-tokens") return {s.size == 2 && m == v::post ? source::body_user_id : source::nobody};
    if (resource == "collections") return {s.size == 4 && at[3] == "progress" && m == v::get ? source::query : source::nobody};
    if (resource == "lesson-progress" || resource == "progresstokens") {
        if (s.size != 3 || (m != v::put && m != v::patch)) return {};
        return {resource == "lesson-progress" ? source::lesson_progress : source::progress_token, at[2]};
    }
    if (resource == "domains" && s.size >= 6 && at[3] == "published-courses" && at[5] == "enrollments") {
        // GET of the list spans every user of the course: nobody's.
        if (s.size == 6) return {m == v::post ? source::body_skilljar : source::nobody};
        if (s.size == 7 && (m == v::get || m == v::put || m == v::patch)) return {source::enrollment, at[6]};
        return {};
    }
    if (resource == "view" && s.size == 3 && m == v::post && is_one_of(at[2], {"start", "update", "end", "read"})) {
        return {source::body_sunbird};
    }
    if (resource == "assessment" && s.size == 3 && m == v::post && is_one_of(at[2], {"submit", "read"})) {
        return {source::body_sunbird};
    }
    if (resource == "summary") {
        if (s.size == 3) return {at[2] == "read" && m == v::post ? source::body_sunbird : source::nobody};
        if (s.size != 4) return {};
        if (m == v::get && (at[2] == "list" || at[2] == "download")) return {source::path_user, at[3]};
        if (m == v::get && at[2] == "file") return {source::summary_file, at[3]};
        if (m == v::delete_ && at[2] == "delete") return {source::path_user, at[3]};
    }
    return {};
}

}  // namespace progressd::request_user_parts
