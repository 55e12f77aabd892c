// Native continue watching (docs/data-model.md rule 7, docs/native-api.md "Continue watching"): a
// user's in-progress records, last accessed first, and hiding one until its next ping.

#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/json/record_json.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <charconv>
#include <string>

namespace progressd {
namespace {

constexpr std::size_t default_limit = 20;
constexpr std::size_t max_limit = 100;

handler_result fail(const api_error& error) { return {write_problem(error)}; }

std::optional<api_error> path_user(const services& context, const request_context& request, std::string& user_id) {
    if (auto loading = refuse_while_loading(context)) return loading;
    return resolve_subject(*request.principal, std::string(request.params[0]), "user_id", user_id);
}

handler_result get_continue(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    std::size_t limit = default_limit;
    if (const auto text = query_param(request.query, "limit")) {
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
        if (ec != std::errc{} || end != text->data() + text->size() || limit == 0 || limit > max_limit) {
            return fail(api_error::field(error_code::validation, "limit", "must be 1 to 100"));
        }
    }
    const auto listing = context.data.records().continue_watching(user_id, limit);
    const auto snapshot = request.thread.catalog.shared(context.data.catalog());
    // Text written directly: apps read this row on every start, a DOM of it cost several times more.
    std::string text;
    text.reserve(16 + listing.size() * (typical_record_json_bytes + 96));
    text.append("{\"results\":[");
    for (std::size_t i = 0; i < listing.size(); ++i) {
        const auto& [key, record] = listing[i];
        text.append(i == 0 ? "{" : ",{");
        append_record_members(text, user_id, key, record);
        const auto* entry = snapshot->find(key.content_id);
        text.append(",\"type\":");
        append_json_string_or_null(text, entry != nullptr, entry ? std::string_view(entry->type) : "");
        text.append(",\"title\":");
        append_json_string_or_null(text, entry != nullptr, entry ? std::string_view(entry->title) : "");
        text.append(",\"parent_id\":");
        const auto parent = snapshot->parent_of(key.content_id);
        append_json_string_or_null(text, parent.has_value(), parent.value_or(""));
        text.push_back('}');
    }
    text.append("]}");
    return {json_response(http::status::ok, std::move(text))};
}

handler_result hide_continue(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    const std::string_view content_id = request.params[1];
    if (!store::is_valid_id(content_id)) {
        return fail(api_error::field(error_code::validation, "content_id", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -"));
    }
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto generation = context.data.records().hide(user_id, content_id);
    return durable_native(context, empty_response(http::status::no_content), generation.value_or(0));
}

}  // namespace

void register_native_continue_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/users/{user_id}/continue", bind_handler(context, get_continue));
    routes.add(http::verb::delete_, "/v1/users/{user_id}/continue/{content_id}", bind_handler(context, hide_continue));
}

}  // namespace progressd
