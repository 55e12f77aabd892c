// Native API, collections (docs/native-api.md, "Collections"): a user's aggregated progress in a
// course or any other collection of the catalog.

#include "handlers/access.hpp"
#include "handlers/json/collection_progress.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

namespace progressd {
namespace {

handler_result fail(const api_error& error) { return {write_problem(error)}; }

handler_result get_collection_progress(services& context, request_context& request) {
    const std::string_view collection_id = request.params[0];
    if (!store::is_valid_id(collection_id)) {
        return fail(api_error::field(error_code::validation, "collection_id",
                                     "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -"));
    }
    if (auto loading = refuse_while_loading(context)) return fail(*loading);
    const auto context_id = query_param(request.query, "context_id").value_or("");
    if (!store::is_valid_context_id(context_id)) {
        return fail(api_error::field(error_code::validation, "context_id", "must be empty or a valid id"));
    }
    std::string user_id;
    if (auto error = resolve_subject(*request.principal, query_param(request.query, "user_id"), "user_id", user_id)) {
        return fail(*error);
    }
    auto progress = collection_progress_json(context, request.thread, user_id, context_id, collection_id);
    if (!progress) return fail({error_code::not_found, "the catalog has no collection with this id", {}, {}});
    return {json_response(http::status::ok, std::move(*progress))};
}

}  // namespace

void register_native_collection_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/collections/{collection_id}/progress", bind_handler(context, get_collection_progress));
}

}  // namespace progressd
