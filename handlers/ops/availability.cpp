// Operator availability (docs/operations.md, "Taking a node out"): an operator takes this node out
// of the balancers' rotation, or puts it back, without restarting it. Services only (an API key):
// a user token must not be able to empty a node.
//
//   GET /v1/ops/availability                      {"state":"ready","draining":false}
//   PUT /v1/ops/availability {"state":"drain"}    ready | drain | maint
//
// The state lives in memory only: a restart comes back `ready`, as a restarted node should. The
// HAProxy agent (server/agent_check.hpp) and /readyz (ops.cpp) report it.

#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"

#include <boost/json/object.hpp>

#include <optional>

namespace progressd {
namespace {

constexpr std::string_view availability_changes = "setting the node's availability";

std::string_view state_name(availability state) {
    switch (state) {
        case availability::drain: return "drain";
        case availability::maint: return "maint";
        case availability::ready: break;
    }
    return "ready";
}

std::optional<availability> parse_state(std::string_view name) {
    if (name == "ready") return availability::ready;
    if (name == "drain") return availability::drain;
    if (name == "maint") return availability::maint;
    return std::nullopt;
}

http_response state_response(const services& context) {
    const auto state = context.status.operator_state.load(std::memory_order_acquire);
    return json_response(http::status::ok,
                         boost::json::object{{"state", state_name(state)},
                                             {"draining", context.status.draining.load(std::memory_order_acquire)}});
}

handler_result fail(const api_error& error) { return {write_problem(error)}; }

handler_result get_availability(services& context, request_context& request) {
    if (auto error = require_service(*request.principal, availability_changes)) return fail(*error);
    return {state_response(context)};
}

handler_result put_availability(services& context, request_context& request) {
    if (auto error = require_service(*request.principal, availability_changes)) return fail(*error);
    boost::json::object body;
    if (auto error = parse_json_object(request.request, body)) return fail(*error);
    const auto* state = body.if_contains("state");
    const auto parsed = state != nullptr && state->is_string() ? parse_state(state->get_string()) : std::nullopt;
    if (!parsed) return fail(api_error::field(error_code::validation, "state", "must be ready, drain or maint"));
    context.status.operator_state.store(*parsed, std::memory_order_release);
    return {state_response(context)};
}

}  // namespace

void register_availability_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/ops/availability", bind_handler(context, get_availability));
    routes.add(http::verb::put, "/v1/ops/availability", bind_handler(context, put_availability));
}

}  // namespace progressd
