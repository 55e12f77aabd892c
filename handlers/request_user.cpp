#include "handlers/request_user.hpp"

#include "handlers/request_user_route.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/credential_text.hpp"
#include "handlers/json/flat_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/uri.hpp"
#include "store/ids.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <optional>

namespace progressd {
namespace {

using request_user_parts::classify;
using request_user_parts::route_source;
using request_user_parts::source;
using request_user_parts::split_path;

// ---- values ----------------------------------------------------------------------------------

request_user one(std::string_view id) { return {request_user::kind::one, std::string(id), {}}; }

// A user id as a service must name it: `me` stands for a user token's caller only.
bool is_service_user(std::string_view id) { return store::is_valid_id(id) && id != "me"; }

request_user one_if(std::string_view id, bool (*valid)(std::string_view)) { return valid(id) ? one(id) : request_user{}; }

bool is_any_user(std::string_view id) { return store::is_valid_id(id); }

// The router percent-decodes a parameter segment ('+' stays '+'); only one with a '%' is copied.
std::string_view decoded(std::string_view segment, std::string& storage) {
    if (segment.find('%') == std::string_view::npos) return segment;
    storage = percent_decode(segment, false);
    return storage;
}

// "lp.<user>.<course>.<lesson>.<mac>": the user of a signed id of the given kind, as
// skilljar::verify_token reads it once the MAC (which only the owner need check) is good.
request_user signed_user(std::string_view token, std::string_view kind) {
    const auto last_dot = token.rfind('.');
    if (last_dot == std::string_view::npos) return {};
    const std::string_view body = token.substr(0, last_dot);
    std::array<std::string_view, 4> parts{};
    std::size_t count = 0;
    for (std::size_t start = 0;;) {
        if (count == parts.size()) return {};
        const auto dot = body.find('.', start);
        parts[count++] = body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (count != 4 || parts[0] != kind) return {};
    for (std::size_t i = 2; i < 4; ++i) {
        const auto other = auth::base64url_decode(parts[i]);
        if (!other || !store::is_valid_id(*other)) return {};
    }
    const auto user = auth::base64url_decode(parts[1]);
    return user ? one_if(*user, is_any_user) : request_user{};
}

// base64url("<user>/<context>"), as skilljar::parse_enrollment_id reads it.
request_user enrollment_user(std::string_view id) {
    const auto joined = auth::base64url_decode(id);
    if (!joined) return {};
    const auto slash = joined->find('/');
    if (slash == std::string::npos || !store::is_valid_context_id(std::string_view(*joined).substr(slash + 1))) return {};
    return one_if(std::string_view(*joined).substr(0, slash), is_any_user);
}

request_user summary_file_user(std::string_view name) {
    constexpr std::string_view suffix = "_viewer_summary.";
    const auto at = name.rfind(suffix);
    if (at == std::string_view::npos) return {};
    const auto format = name.substr(at + suffix.size());
    if (format != "csv" && format != "json") return {};
    return one_if(name.substr(0, at), is_service_user);
}

// ---- JSON ------------------------------------------------------------------------------------

// A member as the handlers' field readers see it: Boost.JSON keeps the last of duplicate keys,
// and so does this (the flat scanner keeps them all, in order).
const flat_member* last_member(const flat_object& object, std::string_view key) {
    for (std::size_t i = object.size; i > 0; --i) {
        if (object.members[i - 1].key == key) return &object.members[i - 1];
    }
    return nullptr;
}

std::optional<std::string_view> flat_string(const flat_object& object, std::string_view key) {
    const auto* member = last_member(object, key);
    if (member == nullptr || member->kind != flat_kind::string) return std::nullopt;
    return member->text;
}

const boost::json::value* member(const boost::json::value* value, std::string_view key) {
    if (value == nullptr || !value->is_object()) return nullptr;
    return value->as_object().if_contains(key);
}

std::optional<std::string_view> json_string(const boost::json::value* value) {
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string_view(value->get_string());
}

// Parses as the handlers do (parse_json_body: depth at most 32), into `arena`.
std::optional<boost::json::value> parse_body(std::string_view body, boost::json::monotonic_resource& arena) {
    boost::json::parse_options options;
    options.max_depth = 32;
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec, &arena, options);
    if (ec) return std::nullopt;
    return value;
}

// The distinct users of a batch, in order of first mention; each ping's user stands alone, as each
// ping is checked alone (a bad one fails by itself).
class user_set {
public:
    void add(std::optional<std::string_view> id) {
        if (!id || !is_service_user(*id)) return;
        if (std::find(ids_.begin(), ids_.end(), *id) == ids_.end()) ids_.emplace_back(*id);
    }
    request_user result() && {
        if (ids_.empty()) return {};
        if (ids_.size() == 1) return one(ids_.front());
        return {request_user::kind::several, {}, std::move(ids_)};
    }

private:
    std::vector<std::string> ids_;
};

constexpr std::size_t max_batch_pings = 1000;  // as the batch handler: more is refused whole

request_user batch_users(std::string_view body) {
    user_set users;
    std::size_t count = 0;
    const bool flat = scan_flat_object_array(body, "pings", [&](const flat_object& ping) {
        users.add(flat_string(ping, "user_id"));
        return ++count <= max_batch_pings;
    });
    if (flat) return count == 0 ? request_user{} : std::move(users).result();

    users = {};
    boost::json::monotonic_resource arena;
    const auto value = parse_body(body, arena);
    const auto* pings = value ? member(&*value, "pings") : nullptr;
    if (pings == nullptr || !pings->is_array()) return {};
    const auto& items = pings->get_array();
    if (items.empty() || items.size() > max_batch_pings) return {};
    for (const auto& ping : items) users.add(json_string(member(&ping, "user_id")));
    return std::move(users).result();
}

request_user body_user(const http_request& request, source from) {
    const std::string_view body = request.body();
    if (check_json_content_type(request)) return {};  // 415 where it arrived
    if (from == source::body_pings) return batch_users(body);
    if (from == source::body_user_id) {
        flat_object object;
        if (scan_flat_object(body, object)) {
            const auto id = flat_string(object, "user_id");
            return id ? one_if(*id, is_service_user) : request_user{};
        }
    }
    if (from == source::body_skilljar && body.empty()) return {};  // Skilljar reads no body as {}

    unsigned char arena_bytes[2048];
    boost::json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
    const auto value = parse_body(body, arena);
    if (!value || !value->is_object()) return {};
    switch (from) {
        case source::body_user_id: return one_if(json_string(member(&*value, "user_id")).value_or(""), is_service_user);
        case source::body_sunbird:
            return one_if(json_string(member(member(&*value, "request"), "userId")).value_or(""), is_service_user);
        case source::body_skilljar: return one_if(json_string(member(member(&*value, "user"), "id")).value_or(""), is_any_user);
        default: return {};
    }
}

// ---- credentials -----------------------------------------------------------------------------

constexpr std::size_t max_token_bytes = 8192;  // the verifier refuses longer tokens

// The `sub` of a JWT's payload when it is a valid id; nothing for anything that is no such JWT.
std::optional<std::string> jwt_subject(std::string_view token) {
    if (token.size() > max_token_bytes) return std::nullopt;
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    std::array<char, auth::base64_decoded_bytes(max_token_bytes)> bytes;
    const auto payload = auth::base64url_decode(token.substr(first + 1, second - first - 1), bytes);
    if (!payload) return std::nullopt;

    std::optional<std::string_view> sub;
    flat_object object;
    unsigned char arena_bytes[2048];
    boost::json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
    std::optional<boost::json::value> parsed;
    if (scan_flat_object(*payload, object)) {
        sub = flat_string(object, "sub");
    } else {
        boost::system::error_code ec;
        parsed = boost::json::parse(*payload, ec, &arena);
        if (ec || !parsed->is_object()) return std::nullopt;
        sub = json_string(member(&*parsed, "sub"));
    }
    if (!sub || !store::is_valid_id(*sub)) return std::nullopt;
    return std::string(*sub);
}

enum class caller : std::uint8_t { refused, user, service };

struct credentials {
    caller who = caller::refused;
    std::string user_id{};  // caller::user
};

// Who is calling, as handlers/auth/authenticator.cpp decides it, short of verifying anything.
credentials find_caller(const http_request& request) {
    const std::string_view user_token = auth::trim(request["x-authenticated-user-token"]);
    if (!user_token.empty()) {
        const auto [scheme, value] = auth::split_scheme(user_token);
        auto sub = jwt_subject(auth::iequals(scheme, "Bearer") && !value.empty() ? value : user_token);
        return sub ? credentials{caller::user, std::move(*sub)} : credentials{};  // 401 where it arrived
    }
    const auto [scheme, value] = auth::split_scheme(request[http::field::authorization]);
    if (scheme.empty() || value.empty()) return {};
    if (auth::iequals(scheme, "Bearer")) {
        // A JWT's `sub`; anything else may be an API key.
        auto sub = jwt_subject(value);
        return sub ? credentials{caller::user, std::move(*sub)} : credentials{caller::service};
    }
    if (auth::iequals(scheme, "Basic")) return auth::base64_decode(value) ? credentials{caller::service} : credentials{};
    return {};
}

}  // namespace

request_user find_request_user(const http_request& request) {
    const std::string_view target = request.target();
    const auto segments = split_path(target.substr(0, target.find('?')));
    if (!segments) return {};
    const route_source route = classify(request.method(), *segments);
    if (route.from == source::nobody) return {};

    auto who = find_caller(request);
    if (who.who == caller::refused) return {};
    if (who.who == caller::user) return {request_user::kind::one, std::move(who.user_id), {}};

    std::string storage;
    switch (route.from) {
        case source::path_user: return one_if(decoded(route.segment, storage), is_service_user);
        case source::path_user_any: return one_if(decoded(route.segment, storage), is_any_user);
        case source::summary_file: return summary_file_user(decoded(route.segment, storage));
        case source::lesson_progress: return signed_user(decoded(route.segment, storage), "lp");
        case source::progress_token: return signed_user(decoded(route.segment, storage), "pt");
        case source::enrollment: return enrollment_user(decoded(route.segment, storage));
        case source::query: {
            const auto question = target.find('?');
            if (question == std::string_view::npos) return {};
            const auto id = query_param(target.substr(question + 1), "user_id");
            return id ? one_if(*id, is_service_user) : request_user{};
        }
        case source::nobody: return {};
        default: return body_user(request, route.from);
    }
}

}  // namespace progressd
