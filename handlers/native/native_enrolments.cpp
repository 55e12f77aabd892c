// Native API, enrolments (docs/native-api.md, "Enrolments"): who follows which collection in
// which context. Services write; a user reads their own.

#include "app/progress_events.hpp"
#include "handlers/access.hpp"
#include "handlers/json/enrolment_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <boost/json/array.hpp>

namespace progressd {
namespace {

constexpr std::string_view enrolment_writes = "changing enrolments";
constexpr std::string_view id_rule = "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -";

handler_result fail(const api_error& error) { return {write_problem(error)}; }

// The user the path names, checked against the principal.
std::optional<api_error> path_user(const services& context, const request_context& request, std::string& user_id) {
    if (auto loading = refuse_while_loading(context)) return loading;
    return resolve_subject(*request.principal, std::string(request.params[0]), "user_id", user_id);
}

// The (collection in the path, context in the query) an enrolment is named by.
std::optional<api_error> enrolment_scope(const request_context& request, store::enrolment_key& key) {
    if (!store::is_valid_id(request.params[1])) return api_error::field(error_code::validation, "collection_id", id_rule);
    auto context_id = query_param(request.query, "context_id").value_or("");
    if (!store::is_valid_context_id(context_id)) {
        return api_error::field(error_code::validation, "context_id", "must be empty or a valid id");
    }
    key = {std::string(request.params[1]), std::move(context_id)};
    return std::nullopt;
}

std::optional<api_error> parse_update(const http_request& request, store::enrolment_update& update) {
    boost::json::object body;
    if (!request.body().empty()) {
        if (auto error = parse_json_object(request, body)) return error;
    }
    field_reader fields(body);
    update.enrolled_at = fields.integer("enrolled_at");
    if (const auto* expires = body.if_contains("expires_at"); expires && expires->is_null()) {
        update.expires_at = 0;
    } else {
        update.expires_at = fields.integer("expires_at");
    }
    if (const auto* active = fields.raw("active")) {
        if (active->is_bool()) {
            update.active = active->as_bool();
        } else {
            fields.fail("active", "must be true or false");
        }
    }
    if (!fields.ok()) return fields.error();
    return std::nullopt;
}

handler_result list_enrolments(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    const auto collection = query_param(request.query, "collection_id");
    if (collection && !store::is_valid_id(*collection)) {
        return fail(api_error::field(error_code::validation, "collection_id", id_rule));
    }
    boost::json::array results;
    for (const auto& [key, value] : context.data.enrolments().list_user(user_id)) {
        if (collection && key.collection_id != *collection) continue;
        results.push_back(enrolment_to_json(user_id, key, value, request.now_ms));
    }
    return {json_response(http::status::ok, boost::json::object{{"results", std::move(results)}})};
}

handler_result get_enrolment(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    store::enrolment_key key;
    if (auto error = enrolment_scope(request, key)) return fail(*error);
    const auto found = context.data.enrolments().find(user_id, key.collection_id, key.context_id);
    if (!found) return fail({error_code::not_found, "no such enrolment", {}, {}});
    return {json_response(http::status::ok, enrolment_to_json(user_id, key, *found, request.now_ms))};
}

handler_result put_enrolment(services& context, request_context& request) {
    if (auto error = require_service(*request.principal, enrolment_writes)) return fail(*error);
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    store::enrolment_key key;
    if (auto error = enrolment_scope(request, key)) return fail(*error);
    store::enrolment_update update;
    if (auto error = parse_update(request.request, update)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto written = app::put_enrolment_with_events(context.data, request.call(), user_id, key, update);
    auto response = json_response(written.created ? http::status::created : http::status::ok,
                                  enrolment_to_json(user_id, key, written.stored, request.now_ms));
    return durable_native(context, std::move(response), written.generation);
}

handler_result delete_enrolment(services& context, request_context& request) {
    if (auto error = require_service(*request.principal, enrolment_writes)) return fail(*error);
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    store::enrolment_key key;
    if (auto error = enrolment_scope(request, key)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto generation = context.data.enrolments().erase(user_id, key.collection_id, key.context_id);
    return durable_native(context, empty_response(http::status::no_content), generation.value_or(0));
}

}  // namespace

void register_native_enrolment_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/users/{user_id}/enrolments", bind_handler(context, list_enrolments));
    routes.add(http::verb::get, "/v1/users/{user_id}/enrolments/{collection_id}", bind_handler(context, get_enrolment));
    routes.add(http::verb::put, "/v1/users/{user_id}/enrolments/{collection_id}", bind_handler(context, put_enrolment));
    routes.add(http::verb::delete_, "/v1/users/{user_id}/enrolments/{collection_id}",
               bind_handler(context, delete_enrolment));
}

}  // namespace progressd
