#include "server/cluster_gate.hpp"

#include "app/cluster_backend.hpp"
#include "common/clock.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/native/batch_split.hpp"
#include "handlers/request_user.hpp"
#include "handlers/router.hpp"
#include "handlers/services.hpp"
#include "server/io_thread.hpp"
#include "server/owner_forwarder.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
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

// Where the pings of one user of a batch go: as pass_for decides for a request of one user (a
// batch is a write), without acting on it yet.
struct placement {
    enum class kind : std::uint8_t { here, elsewhere, unavailable };
    kind what = kind::here;
    std::shared_ptr<const store::node_address> owner{};  // elsewhere
    std::string why{};                                   // unavailable: the 503's detail

    bool same_group(const placement& other) const {
        if (what != other.what) return false;
        if (what == kind::elsewhere) return owner->node_id == other.owner->node_id;
        return what == kind::here || why == other.why;
    }
};

placement unavailable(std::string why) { return {placement::kind::unavailable, {}, std::move(why)}; }

net::awaitable<placement> place_user(std::string_view user_id, const http_request& request, io_thread& thread,
                                     const session_env& env) {
    auto& node = *env.context.data.cluster();
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto decision = node.route(user_id);
        switch (decision.route) {
            case app::user_route::here: co_return placement{};
            case app::user_route::read_only:
                co_return unavailable("this node cannot reach PostgreSQL to keep its lease; writes wait until it can");
            case app::user_route::forward:
                // One hop at most, as for one user's request.
                if (!request[forwarded_by_field].empty()) {
                    co_return unavailable("the user's partition has just moved to another node; retry");
                }
                co_return placement{placement::kind::elsewhere, decision.owner, {}};
            case app::user_route::unowned: co_return unavailable("the user's partition is moving between nodes; retry shortly");
            case app::user_route::load_first: break;
        }
        const bool loaded = co_await async_load_user(node, thread.io, user_id, net::use_awaitable);
        if (!loaded) co_return unavailable("the user could not be loaded from PostgreSQL; retry");
    }
    co_return unavailable("the user's partition is moving between nodes; retry shortly");
}

// The batch request with another body: the same method, target and fields (less the framing,
// which is the body's own on every hop).
http_request part_request(const http_request& request, std::string_view body) {
    http_request part(request.method(), request.target(), request.version());
    for (std::size_t i = 0; i < request.field_count(); ++i) {
        const auto [name, value] = request.field(i);
        if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding")) continue;
        part.add_field(name, value);
    }
    part.set_keep_alive(request.keep_alive());
    part.set_body(body);
    return part;
}

// A batch's parts' answers, merged: a part answered 200 gives its items; a part whose node failed
// (5xx) gives each of its pings that failure as its item, as an unowned user's pings get a 503;
// any other answer (401, 413, a 422 for the whole body) is the batch's answer, as it came.
class batch_merge {
public:
    batch_merge(const session_env& env, const http_request& request, std::size_t ping_count)
        : env_(env), request_(request), results_(ping_count) {}

    void fail(std::span<const std::size_t> positions, std::string why) {
        results_.fill(batch_error_item({error_code::unavailable, std::move(why), {}, {}}), positions);
    }

    void absorb(http_response answer, std::span<const std::size_t> positions, bool forwarded) {
        const auto outcome = results_.absorb(answer.result_int(), answer.body(), positions);
        if (outcome != batch_results::outcome::whole || whole_) return;  // the first such answer stands
        whole_ = std::move(answer);
        whole_forwarded_ = forwarded;
    }

    gate_result result(thread_metrics::cluster_path path) && {
        if (whole_) return {.dispatch = false, .forwarded = whole_forwarded_, .answer = std::move(*whole_), .path = path};
        if (!results_.complete()) return refuse(env_, request_, "the batch's parts could not all be answered; retry");
        return {.dispatch = false, .answer = json_response(http::status::ok, results_.text()), .path = path};
    }

private:
    const session_env& env_;
    const http_request& request_;
    batch_results results_;
    std::optional<http_response> whole_{};
    bool whole_forwarded_ = false;
};

// A batch whose users' pings go to several places: this node's part is served here, each other
// owner's part is forwarded to it as a batch of its own, and each unavailable user's pings get a
// 503 item; one 200 answer holds every item in the batch's order.
net::awaitable<gate_result> serve_in_parts(const std::vector<std::string>& users, const std::vector<placement>& placed,
                                           const http_request& request, io_thread& thread, const session_env& env) {
    // Group 0 is this node's, and also takes every ping that names none of `users` (no user_id, or
    // one the handler refuses): the handler writes its error item here.
    std::vector<placement> groups{placement{}};
    std::unordered_map<std::string_view, std::size_t> group_of_user;
    for (std::size_t i = 0; i < users.size(); ++i) {
        auto found = std::find_if(groups.begin(), groups.end(), [&](const placement& group) { return group.same_group(placed[i]); });
        if (found == groups.end()) found = groups.insert(groups.end(), placed[i]);
        group_of_user.emplace(users[i], static_cast<std::size_t>(found - groups.begin()));
    }
    const auto parts = split_batch(request.body(), groups.size(), [&](std::string_view user) {
        const auto found = group_of_user.find(user);
        return found == group_of_user.end() ? std::size_t{0} : found->second;
    });
    if (!parts) co_return gate_result{};  // the handler refuses it whole, here

    batch_merge merged(env, request, parts->ping_count);
    // This node's part first: the wait for its durability then overlaps the forwards.
    handler_result local{};
    const bool any_local = !parts->positions[0].empty();
    if (any_local) {
        const auto part = part_request(request, parts->bodies[0]);
        local = env.routes.dispatch(part, thread.context, wall_clock_ms()).result;
    }
    auto path = thread_metrics::cluster_path::here;
    for (std::size_t group = 1; group < groups.size(); ++group) {
        const auto& positions = parts->positions[group];
        if (positions.empty()) continue;
        const auto& where = groups[group];
        if (where.what == placement::kind::unavailable) {
            merged.fail(positions, where.why);
            continue;
        }
        const auto part = part_request(request, parts->bodies[group]);
        auto outcome = co_await thread.forwarder->forward(part, where.owner->advertise_url);
        if (!outcome.ok()) {
            merged.fail(positions, "the node that owns these pings' users (" + where.owner->node_id + ") cannot be reached; retry");
            path = thread_metrics::cluster_path::forward_failed;
            continue;
        }
        merged.absorb(std::move(outcome.answer), positions, true);
        if (path == thread_metrics::cluster_path::here) path = thread_metrics::cluster_path::forwarded;
    }
    if (any_local) {
        if (local.durable_generation != 0) {
            const bool committed = co_await thread.durable.async_wait(local.durable_generation, net::use_awaitable);
            if (!committed) local.response = local.not_durable();
        }
        merged.absorb(std::move(local.response), parts->positions[0], false);
    }
    co_return std::move(merged).result(path);
}

// A batch naming several users: served here when every one of them is this node's, forwarded
// whole when they all belong to one other node, refused when none can be served now; otherwise
// served in parts.
net::awaitable<gate_result> pass_for_several(const std::vector<std::string>& users, const http_request& request,
                                             io_thread& thread, const session_env& env) {
    std::vector<placement> placed;
    placed.reserve(users.size());
    for (const auto& user : users) {
        auto where = co_await place_user(user, request, thread, env);
        placed.push_back(std::move(where));
    }
    const auto all = [&](auto&& test) { return std::all_of(placed.begin(), placed.end(), test); };
    if (all([](const placement& p) { return p.what == placement::kind::here; })) co_return gate_result{};
    if (all([](const placement& p) { return p.what == placement::kind::unavailable; })) {
        co_return refuse(env, request, placed.front().why);
    }
    const bool one_owner = all([&](const placement& p) {
        return p.what == placement::kind::elsewhere && p.same_group(placed.front());
    });
    if (one_owner) co_return co_await forward_to(*placed.front().owner, request, thread, env);
    co_return co_await serve_in_parts(users, placed, request, thread, env);
}

// The catalog's and the webhooks' API: served on their home node (cluster_backend::route_shared).
bool is_shared_state(std::string_view target) {
    return target.starts_with("/v1/contents") || target.starts_with("/v1/webhooks");
}

net::awaitable<gate_result> pass_shared(const http_request& request, io_thread& thread, const session_env& env) {
    const auto decision = env.context.data.cluster()->route_shared();
    switch (decision.route) {
        case app::user_route::here:
        case app::user_route::read_only:
        case app::user_route::load_first: co_return gate_result{};
        case app::user_route::forward: co_return co_await forward_to(*decision.owner, request, thread, env);
        case app::user_route::unowned: break;
    }
    co_return refuse(env, request, "the catalog's home node is changing; retry shortly");
}

}  // namespace

net::awaitable<gate_result> pass_cluster_gate(const http_request& request, io_thread& thread, const session_env& env) {
    // Until the node has joined, the handlers refuse as a loading store does.
    if (!env.context.status.loaded.load(std::memory_order_acquire)) co_return gate_result{};
    const auto user = find_request_user(request);
    if (user.what == request_user::kind::none) {
        if (!is_shared_state(request.target())) co_return gate_result{};
        auto passed = co_await pass_shared(request, thread, env);
        thread.context.metrics.cluster_request(passed.path);
        co_return passed;
    }
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
