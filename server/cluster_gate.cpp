#include "server/cluster_gate.hpp"

#include "app/cluster_backend.hpp"
#include "handlers/request_user.hpp"
#include "handlers/router.hpp"
#include "handlers/services.hpp"
#include "server/io_thread.hpp"
#include "server/owner_forwarder.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

namespace progressd {
namespace {

// Runs the load on the cluster's loader threads and resumes the session on its own thread, which
// the work guard keeps running meanwhile (a draining thread would otherwise return under it).
template <class CompletionToken>
auto async_load_user(app::cluster_backend& node, net::io_context& io, std::string_view user_id,
                     CompletionToken&& token) {
    return net::async_initiate<CompletionToken, void(bool)>(
        [&node, &io, user_id](auto handler) {
            using handler_type = decltype(handler);
            auto waiting = std::make_shared<handler_type>(std::move(handler));
            auto work = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(io.get_executor());
            node.load_user(user_id, [waiting, work, &io](bool loaded) {
                net::post(io, [waiting, work, loaded] { std::move(*waiting)(loaded); });
            });
        },
        token);
}

gate_result refuse(const session_env& env, const http_request& request, std::string why,
                   thread_metrics::cluster_path path = thread_metrics::cluster_path::refused) {
    return {.dispatch = false,
            .answer = env.routes.error_for(request.target(), {error_code::unavailable, std::move(why), {}, {}}),
            .path = path};
}

bool is_read(http::verb method) { return method == http::verb::get || method == http::verb::head; }

net::awaitable<gate_result> forward_to(const store::node_address& owner, const http_request& request,
                                       io_thread& thread, const session_env& env) {
    // The sender saw this node as the owner, and it is not (any more): a second hop could loop.
    if (!request[forwarded_by_field].empty()) {
        co_return refuse(env, request, "the user's partition has just moved to another node; retry");
    }
    auto outcome = co_await thread.forwarder->forward(request, owner.advertise_url);
    if (!outcome.ok()) {
        co_return refuse(env, request, "the node that owns this user (" + owner.node_id + ") cannot be reached; retry",
                         thread_metrics::cluster_path::forward_failed);
    }
    co_return gate_result{.dispatch = false,
                          .forwarded = true,
                          .answer = std::move(outcome.answer),
                          .path = thread_metrics::cluster_path::forwarded};
}

// The request of one user: serve it here (loading the user first when needed), forward it, or 503.
net::awaitable<gate_result> pass_for(std::string_view user_id, const http_request& request, io_thread& thread,
                                     const session_env& env) {
    auto& node = *env.context.data.cluster();
    // Twice at most: a user loaded and then dropped at once (its partition moved meanwhile) is
    // routed again, and then answered 503 rather than loaded in a loop.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto decision = node.route(user_id);
        const auto served = attempt == 0 ? thread_metrics::cluster_path::here : thread_metrics::cluster_path::loaded;
        switch (decision.route) {
            case app::user_route::here: co_return gate_result{.path = served};
            case app::user_route::read_only:
                if (is_read(request.method())) co_return gate_result{.path = served};
                co_return refuse(env, request, "this node cannot reach PostgreSQL to keep its lease; writes wait until it can");
            case app::user_route::forward: co_return co_await forward_to(*decision.owner, request, thread, env);
            case app::user_route::unowned:
                co_return refuse(env, request, "the user's partition is moving between nodes; retry shortly");
            case app::user_route::load_first: break;
        }
        const bool loaded = co_await async_load_user(node, thread.io, user_id, net::use_awaitable);
        if (!loaded) co_return refuse(env, request, "the user could not be loaded from PostgreSQL; retry");
    }
    co_return refuse(env, request, "the user's partition is moving between nodes; retry shortly");
}

// A batch naming several users: served here when every one of them is this node's, forwarded
// when they all belong to one other node; otherwise refused, since one reply cannot be assembled
// from several nodes' answers.
net::awaitable<gate_result> pass_for_several(const std::vector<std::string>& users, const http_request& request,
                                             io_thread& thread, const session_env& env) {
    auto& node = *env.context.data.cluster();
    std::shared_ptr<const store::node_address> elsewhere;  // the one other owner, if any
    std::size_t forwarded = 0;
    for (const auto& user : users) {
        const auto decision = node.route(user);
        if (decision.route != app::user_route::forward) continue;
        if (elsewhere && elsewhere->node_id != decision.owner->node_id) break;
        elsewhere = decision.owner;
        ++forwarded;
    }
    if (forwarded == users.size()) co_return co_await forward_to(*elsewhere, request, thread, env);
    if (forwarded == 0) {
        for (const auto& user : users) {
            auto passed = co_await pass_for(user, request, thread, env);
            if (!passed.dispatch) co_return passed;
        }
        co_return gate_result{};
    }
    const api_error mixed{error_code::validation,
                          "in cluster mode a batch's pings must belong to users of one node: send one batch per user",
                          {}, {}};
    co_return gate_result{.dispatch = false, .answer = env.routes.error_for(request.target(), mixed),
                          .path = thread_metrics::cluster_path::refused};
}

}  // namespace

net::awaitable<gate_result> pass_cluster_gate(const http_request& request, io_thread& thread, const session_env& env) {
    // Until the node has joined, the handlers refuse as a loading store does.
    if (!env.context.status.loaded.load(std::memory_order_acquire)) co_return gate_result{};
    const auto user = find_request_user(request);
    if (user.what == request_user::kind::none) co_return gate_result{};
    gate_result passed;
    // Statements, not a conditional expression: GCC 12 miscompiles co_await in conditions.
    if (user.what == request_user::kind::one) {
        passed = co_await pass_for(user.id, request, thread, env);
    } else {
        passed = co_await pass_for_several(user.ids, request, thread, env);
    }
    thread.context.metrics.cluster_request(passed.path);
    co_return passed;
}

}  // namespace progressd
