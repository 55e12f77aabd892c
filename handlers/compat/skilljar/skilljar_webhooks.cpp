// Skilljar's webhooks resource (docs/webhooks.md): register, list, read, change and delete the
// targets completion events are POSTed to. Changes are rare and matter (a lost registration is a
// lost stream of events), so each answer waits until the change is durable, in either mode.

#include "common/random_hex.hpp"
#include "handlers/compat/skilljar/skilljar_family.hpp"
#include "handlers/compat/skilljar/skilljar_webhook_mapping.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"

namespace progressd::skilljar {
namespace {

constexpr std::size_t webhooks_per_page = 100;

handler_result not_found() { return {detail_response(http::status::not_found, "Not found.")}; }

handler_result list_webhooks(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const auto page = read_page(request, webhooks_per_page, false);
    const auto all = context.data.webhooks().snapshot();
    if (!page || !page_exists(*page, all->size())) return {detail_response(http::status::not_found, "Invalid page.")};
    boost::json::array results;
    const std::size_t first = (page->page - 1) * page->page_size;
    for (std::size_t i = first; i < all->size() && i < first + page->page_size; ++i) {
        results.push_back(webhook_to_json((*all)[i], false));
    }
    return {json_response(http::status::ok,
                          page_envelope(all->size(), *page, base_url(request), request.query, std::move(results)))};
}

handler_result create_webhook(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    const auto write = parse_webhook_write(body, true, errors);
    if (!errors.empty()) return invalid(errors);

    store::webhook hook;
    hook.created_at = request.now_ms;
    apply_webhook_write(hook, write);
    hook.id = random_hex(6);
    if (hook.secret.empty()) hook.secret = random_hex(32);
    const auto generation = context.data.webhooks().create(hook);
    if (!generation) {
        return {detail_response(http::status::bad_request,
                                "At most " + std::to_string(store::max_webhooks) + " webhooks can be registered.")};
    }
    return finish_durable(context, json_response(http::status::created, webhook_to_json(hook, true)), *generation);
}

handler_result read_webhook(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const auto hook = context.data.webhooks().find(request.params[0]);
    if (!hook) return not_found();
    return {json_response(http::status::ok, webhook_to_json(*hook, false))};
}

handler_result update_webhook(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    const auto write = parse_webhook_write(body, false, errors);
    if (!errors.empty()) return invalid(errors);
    store::webhook after;
    const auto generation = context.data.webhooks().update(request.params[0], [&](store::webhook& hook) {
        apply_webhook_write(hook, write);
        after = hook;
    });
    if (!generation) return not_found();
    // Deliveries already queued for an inactive webhook are dropped: it asked for no more.
    if (!after.active) context.data.outbox().drop_webhook(after.id);
    return finish_durable(context, json_response(http::status::ok, webhook_to_json(after, false)), *generation);
}

handler_result delete_webhook(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    const auto generation = context.data.webhooks().remove(request.params[0]);
    if (!generation) return not_found();
    context.data.outbox().drop_webhook(request.params[0]);
    return finish_durable(context, empty_response(http::status::no_content), *generation);
}

}  // namespace

void register_webhook_routes(router& routes, services& context, const route_options& options) {
    routes.add(http::verb::get, "/v1/webhooks", bind_handler(context, list_webhooks), options);
    routes.add(http::verb::post, "/v1/webhooks", bind_handler(context, create_webhook), options);
    routes.add(http::verb::get, "/v1/webhooks/{webhook_id}", bind_handler(context, read_webhook), options);
    routes.add(http::verb::put, "/v1/webhooks/{webhook_id}", bind_handler(context, update_webhook), options);
    routes.add(http::verb::patch, "/v1/webhooks/{webhook_id}", bind_handler(context, update_webhook), options);
    routes.add(http::verb::delete_, "/v1/webhooks/{webhook_id}", bind_handler(context, delete_webhook), options);
}

}  // namespace progressd::skilljar
