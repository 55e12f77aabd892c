// Native API, the catalog (docs/native-api.md, "Catalog"): contents and how collections contain
// them. Services write; any principal reads.

#include "handlers/access.hpp"
#include "handlers/json/catalog_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <boost/json/value.hpp>

namespace progressd {
namespace {

constexpr std::size_t max_import_entries = 10000;
constexpr std::string_view catalog_writes = "changing the catalog";

handler_result fail(const api_error& error) { return {write_problem(error)}; }

std::optional<api_error> check_content_id(std::string_view id) {
    if (store::is_valid_id(id)) return std::nullopt;
    return api_error::field(error_code::validation, "id", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
}

handler_result put_content(services& context, request_context& request) {
    const std::string_view id = request.params[0];
    if (auto error = check_content_id(id)) return fail(*error);
    if (auto error = require_service(*request.principal, catalog_writes)) return fail(*error);
    boost::json::object body;
    if (auto error = parse_json_object(request.request, body)) return fail(*error);
    store::content_entry entry;
    if (auto error = parse_content_entry(body, {}, id, entry)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);

    store::content_entry stored = entry;
    stored.updated_at = request.now_ms;
    const auto written = context.data.catalog().put(std::move(entry), request.now_ms);
    auto response = json_response(written.created ? http::status::created : http::status::ok,
                                  content_entry_to_json(stored));
    return durable_shared(context, std::move(response), written.generation);
}

handler_result get_content(services& context, request_context& request) {
    const std::string_view id = request.params[0];
    if (auto error = check_content_id(id)) return fail(*error);
    if (auto loading = refuse_while_loading(context)) return fail(*loading);
    const auto& snapshot = request.thread.catalog.get(context.data.catalog());
    const store::content_entry* entry = snapshot.find(id);
    if (!entry) return fail({error_code::not_found, "no catalog entry with this id", {}, {}});
    return {json_response(http::status::ok, content_entry_to_json(*entry))};
}

handler_result delete_content(services& context, request_context& request) {
    const std::string_view id = request.params[0];
    if (auto error = check_content_id(id)) return fail(*error);
    if (auto error = require_service(*request.principal, catalog_writes)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto generation = context.data.catalog().erase(id);
    return durable_shared(context, empty_response(http::status::no_content), generation.value_or(0));
}

handler_result import_contents(services& context, request_context& request) {
    if (auto error = require_service(*request.principal, catalog_writes)) return fail(*error);
    boost::json::value body;
    if (auto error = parse_json_body(request.request, body)) return fail(*error);
    std::vector<store::content_entry> entries;
    if (auto error = parse_content_entries(body, max_import_entries, entries)) return fail(*error);
    if (entries.empty()) return fail(api_error::field(error_code::validation, "body", "holds no entries"));
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);

    const std::size_t count = entries.size();
    const auto written = context.data.catalog().put_all(std::move(entries), request.now_ms);
    return durable_shared(context, json_response(http::status::ok, boost::json::object{{"imported", count}}),
                          written.generation);
}

}  // namespace

void register_native_catalog_routes(router& routes, services& context) {
    routes.add(http::verb::put, "/v1/contents/{id}", bind_handler(context, put_content));
    routes.add(http::verb::get, "/v1/contents/{id}", bind_handler(context, get_content));
    routes.add(http::verb::delete_, "/v1/contents/{id}", bind_handler(context, delete_content));
    // A whole catalog at once: up to 10 000 entries, so the batch body limit (16×).
    routes.add(http::verb::post, "/v1/contents:import", bind_handler(context, import_contents),
               {.body_limit_multiplier = 16});
}

}  // namespace progressd
