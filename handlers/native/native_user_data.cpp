// Native API, a user's data as a whole (docs/native-api.md, "Export and erase"): export everything
// stored about a user, or erase it from memory and LMDB.

#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/native/user_export.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"

#include <algorithm>

namespace progressd {
namespace {

handler_result fail(const api_error& error) { return {write_problem(error)}; }

std::optional<api_error> path_user(const services& context, const request_context& request, std::string& user_id) {
    if (auto loading = refuse_while_loading(context)) return loading;
    return resolve_subject(*request.principal, std::string(request.params[0]), "user_id", user_id);
}

handler_result export_user(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    const auto format = query_param(request.query, "format").value_or("json");
    if (format != "json" && format != "csv") {
        return fail(api_error::field(error_code::validation, "format", "must be json or csv"));
    }
    const auto data = collect_user_data(context, user_id);
    if (format == "json") {
        auto response = json_response(http::status::ok, user_data_to_json(user_id, data, request.now_ms));
        response.set(http::field::content_disposition, "attachment; filename=\"progress-" + user_id + ".json\"");
        return {std::move(response)};
    }
    http_response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/csv; charset=utf-8; header=present");
    response.set(http::field::content_disposition, "attachment; filename=\"progress-" + user_id + ".csv\"");
    response.body() = user_data_to_csv(user_id, data);
    return {std::move(response)};
}

handler_result erase_user(services& context, request_context& request) {
    std::string user_id;
    if (auto error = path_user(context, request, user_id)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto records = context.data.records().erase_user(user_id);
    const auto enrolments = context.data.enrolments().erase_user(user_id);
    const auto assessments = context.data.assessments().erase_user(user_id);
    const auto generation = std::max({records.generation, enrolments.generation, assessments.generation});
    boost::json::object body{
        {"user_id", user_id},
        {"erased", boost::json::object{{"records", records.count},
                                       {"enrolments", enrolments.count},
                                       {"assessments", assessments.count}}},
    };
    return durable_native(context, json_response(http::status::ok, body), generation);
}

}  // namespace

void register_native_user_data_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/users/{user_id}/export", bind_handler(context, export_user));
    routes.add(http::verb::delete_, "/v1/users/{user_id}", bind_handler(context, erase_user));
}

}  // namespace progressd
