// Operations endpoints (docs/operations.md): liveness, readiness and Prometheus metrics, and the
// OpenAPI document (openapi.cpp). No auth.

#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/ops/build_info.hpp"
#include "handlers/ops/exposition.hpp"
#include "handlers/ops/openapi.hpp"
#include "handlers/ops/process_metrics.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"

#include "app/cluster_backend.hpp"

#include "common/clock.hpp"

#include <boost/json/object.hpp>

#include <array>

namespace progressd {
namespace {

http_response health_response(http::status status, const boost::json::object& body) {
    http_response response{status, 11};
    response.set(http::field::content_type, "application/health+json");
    response.set(http::field::cache_control, "no-store");
    response.body() = to_json_text(body);
    return response;
}

handler_result livez(services&, request_context&) {
    return {health_response(http::status::ok, {{"status", "pass"}})};
}

// What /readyz checks, read once: /readyz and the progressd_ready gauge agree by construction.
struct readiness {
    bool loaded = false;
    bool draining = false;
    bool persistence = false;
    availability operator_state = availability::ready;
    // Out of rotation after SIGTERM, or when an operator set drain or maint.
    bool in_rotation() const { return !draining && operator_state == availability::ready; }
    bool ready() const { return loaded && in_rotation() && persistence; }
};

readiness read_readiness(const services& context) {
    return {.loaded = context.status.loaded.load(std::memory_order_acquire),
            .draining = context.status.draining.load(std::memory_order_acquire),
            .persistence = context.data.persister().healthy(),
            .operator_state = context.status.operator_state.load(std::memory_order_acquire)};
}

handler_result readyz(services& context, request_context&) {
    const auto state = read_readiness(context);
    const bool loaded = state.loaded;
    const bool persistence = state.persistence;
    const bool in_rotation = state.in_rotation();
    const bool ready = state.ready();
    const std::string_view lifecycle = state.draining                               ? "draining after SIGTERM"
                                       : state.operator_state == availability::drain ? "drain set by an operator"
                                       : state.operator_state == availability::maint ? "maint set by an operator"
                                                                                     : "serving";
    const std::string_view store_name = context.data.persister().store_name();
    auto check = [](bool pass, std::string_view detail) {
        return boost::json::object{{"status", pass ? "pass" : "fail"}, {"output", detail}};
    };
    boost::json::object checks{
        {"store", check(loaded, loaded ? std::string("loaded") : "loading from " + std::string(store_name))},
        {"persistence", check(persistence, persistence ? std::string("flushing")
                                                       : std::string(store_name) + " writes failing; writes refused")},
        {"lifecycle", check(in_rotation, lifecycle)},
    };
    return {health_response(ready ? http::status::ok : http::status::service_unavailable,
                            {{"status", ready ? "pass" : "fail"}, {"checks", std::move(checks)}})};
}

// Requests that matched no route have no method label: there is no route whose method it was.
std::string route_labels(const router& routes, std::size_t route) {
    std::string labels = "route=\"";
    labels += routes.pattern_label(route);
    labels += '"';
    if (const auto method = routes.method_label(route); !method.empty()) {
        labels += ",method=\"";
        labels += method;
        labels += '"';
    }
    return labels;
}

// A route's series appear once it has served a request and stay from then on (the counters only
// grow): a scrape carries the routes in use, not 13 empty buckets for each of a hundred routes.
void render_requests(exposition& out, const router& routes, const services& context) {
    std::vector<std::pair<std::size_t, std::string>> used;  // route, its labels
    for (std::size_t route = 0; route < routes.route_count(); ++route) {
        std::uint64_t count = 0;
        for (std::size_t bucket = 0; bucket <= thread_metrics::bucket_bounds.size(); ++bucket) {
            for (const auto& thread : context.metrics) count += thread->bucket(route, bucket);
        }
        if (count != 0) used.emplace_back(route, route_labels(routes, route));
    }
    out.family("requests_total", "counter", "HTTP requests by route pattern, method and status.");
    std::string labels;
    for (const auto& [route, route_label] : used) {
        for (std::size_t slot = 0; slot < thread_metrics::counted_statuses.size(); ++slot) {
            std::uint64_t total = 0;
            for (const auto& thread : context.metrics) total += thread->requests(route, slot);
            if (total == 0) continue;
            const unsigned status = thread_metrics::counted_statuses[slot];
            labels = route_label;
            labels += ",status=\"";
            labels += status ? std::to_string(status) : std::string("other");
            labels += '"';
            out.sample("requests_total", labels, static_cast<double>(total));
        }
    }
    out.family("request_duration_seconds", "histogram", "Time from a parsed request to its response, seconds.");
    std::array<std::uint64_t, thread_metrics::bucket_bounds.size() + 1> counts{};
    for (const auto& [route, route_label] : used) {
        double sum = 0;
        for (const auto& thread : context.metrics) sum += thread->duration_sum(route);
        for (std::size_t bucket = 0; bucket < counts.size(); ++bucket) {
            counts[bucket] = 0;
            for (const auto& thread : context.metrics) counts[bucket] += thread->bucket(route, bucket);
        }
        out.histogram("request_duration_seconds", route_label, counts, thread_metrics::bucket_bounds, sum);
    }
}

// Cluster mode (docs/cluster.md): what this node holds and what its write-behind lost to fencing.
void render_cluster(exposition& out, const app::cluster_backend& node, const app::write_behind_stats& persistence) {
    const auto* members = node.membership();
    if (members == nullptr) return;  // not listening yet
    out.family("partitions_owned", "gauge", "Partitions this node holds a lease on.");
    out.sample("partitions_owned", {}, static_cast<double>(members->claims().size()));
    const auto membership = members->stats();
    out.family("membership_steps_total", "counter", "Completed heartbeat and reconcile steps.");
    out.sample("membership_steps_total", {}, static_cast<double>(membership.steps));
    out.family("membership_failures_total", "counter", "Membership periods that failed (PostgreSQL unreachable).");
    out.sample("membership_failures_total", {}, static_cast<double>(membership.failures));
    out.family("partition_moves_total", "counter", "Partitions acquired, released and lost by this node.");
    out.sample("partition_moves_total", "change=\"acquired\"", static_cast<double>(membership.acquired));
    out.sample("partition_moves_total", "change=\"released\"", static_cast<double>(membership.released));
    out.sample("partition_moves_total", "change=\"lost\"", static_cast<double>(membership.lost));
    out.family("fenced_commits_total", "counter", "Write-behind commits refused because a partition had moved.");
    out.sample("fenced_commits_total", {}, static_cast<double>(persistence.fenced));
    out.family("write_behind_dropped_total", "counter", "Changes of lost partitions never written.");
    out.sample("write_behind_dropped_total", {}, static_cast<double>(persistence.dropped_changes));
    out.family("write_behind_pending", "gauge", "Changes waiting to be written to PostgreSQL.");
    out.sample("write_behind_pending", {}, static_cast<double>(persistence.pending));

    const auto users = node.residents()->stats();
    out.family("resident_users", "gauge", "Users in memory (the cache of this node's partitions).");
    out.sample("resident_users", {}, static_cast<double>(users.users));
    out.family("resident_bytes", "gauge", "Estimated memory of the users in memory, as --cache-max-bytes counts it.");
    out.sample("resident_bytes", {}, static_cast<double>(users.bytes));
    out.family("user_loads_total", "counter", "Users loaded from PostgreSQL, by outcome.");
    out.sample("user_loads_total", "result=\"loaded\"", static_cast<double>(users.loads - users.load_failures));
    out.sample("user_loads_total", "result=\"failed\"", static_cast<double>(users.load_failures));
    out.family("user_evictions_total", "counter", "Users that left memory: evicted for the bound, or dropped with a partition.");
    out.sample("user_evictions_total", "reason=\"bound\"", static_cast<double>(users.evictions));
    out.sample("user_evictions_total", "reason=\"partition\"", static_cast<double>(users.drops));

    if (const auto* shared = node.shared_state()) {
        const auto changes = shared->stats();
        out.family("shared_state_notices_total", "counter",
                   "Catalog and webhook change notices handled: applied, or this node's own skipped.");
        out.sample("shared_state_notices_total", {}, static_cast<double>(changes.notices));
        out.family("shared_state_failures_total", "counter",
                   "Shared-state listener connects and reads that failed (PostgreSQL unreachable).");
        out.sample("shared_state_failures_total", {}, static_cast<double>(changes.failures));
    }
}

// Cluster mode: what the nodes' I/O threads did with requests that had a user.
void render_cluster_paths(exposition& out, const services& context) {
    using path = thread_metrics::cluster_path;
    constexpr std::array<std::pair<path, std::string_view>, thread_metrics::cluster_path_count> paths{
        {{path::here, "here"}, {path::loaded, "loaded"}, {path::forwarded, "forwarded"},
         {path::forward_failed, "forward_failed"}, {path::refused, "refused"}}};
    out.family("cluster_requests_total", "counter",
               "Requests for a user: served here (after loading the user), forwarded to the owner, or refused (503).");
    for (const auto& [which, label] : paths) {
        std::uint64_t sum = 0;
        for (const auto& thread : context.metrics) sum += thread->cluster_requests(which);
        out.sample("cluster_requests_total", "path=\"" + std::string(label) + "\"", static_cast<double>(sum));
    }
}

// Flushes (batches made durable: write-ahead log frames or LMDB commits, or PostgreSQL batches in
// cluster mode) by duration, and
// the last one's alone, as a gauge, for a quick look.
void render_flush_durations(exposition& out, const app::write_behind_stats& persistence) {
    static constexpr auto bounds = [] {
        std::array<double, duration_histogram::bounds_us.size()> seconds{};
        for (std::size_t i = 0; i < seconds.size(); ++i) seconds[i] = static_cast<double>(duration_histogram::bounds_us[i]) / 1e6;
        return seconds;
    }();
    const auto& flushes = persistence.flush_durations;
    out.family("flush_duration_seconds", "histogram", "Duration of flushes (batches made durable), seconds.");
    out.histogram("flush_duration_seconds", {}, flushes.counts, bounds, static_cast<double>(flushes.sum_us) / 1e6);
    out.family("last_flush_duration_seconds", "gauge", "Duration of the last committed flush, seconds.");
    out.sample("last_flush_duration_seconds", {}, static_cast<double>(persistence.last_flush_duration_us) / 1e6);
}

// The life cycle as /readyz sees it, as 1/0 gauges an alert can read, and what this binary is.
void render_state(exposition& out, const services& context) {
    const auto state = read_readiness(context);
    out.family("ready", "gauge", "1 when /readyz passes: loaded, persistence healthy, in rotation.");
    out.sample("ready", {}, state.ready() ? 1 : 0);
    out.family("loaded", "gauge", "1 once the store is loaded (recovery finished); 0 while loading.");
    out.sample("loaded", {}, state.loaded ? 1 : 0);
    out.family("draining", "gauge", "1 while draining after SIGTERM.");
    out.sample("draining", {}, state.draining ? 1 : 0);
    out.family("in_rotation", "gauge", "0 while draining after SIGTERM or taken out by an operator (drain, maint).");
    out.sample("in_rotation", {}, state.in_rotation() ? 1 : 0);
    out.family("persistence_healthy", "gauge", "1 while the latest flush committed; 0 while writes to the store fail.");
    out.sample("persistence_healthy", {}, state.persistence ? 1 : 0);

    const auto build = this_build();
    out.family("build_info", "gauge", "Always 1; the labels say which build is running.");
    out.sample("build_info",
               "version=\"" + escape_label_value(build.version) + "\",commit=\"" + escape_label_value(build.commit) +
                   "\",compiler=\"" + escape_label_value(build.compiler) + '"',
               1);
}

handler_result metrics(services& context, const router& routes, std::optional<double> boot_time_seconds) {
    exposition out;
    render_state(out, context);
    render_requests(out, routes, context);

    const auto store = context.data.records().stats();
    out.family("records", "gauge", "Progress records in memory.");
    out.sample("records", {}, static_cast<double>(store.records));
    out.family("users", "gauge", "Users with at least one record.");
    out.sample("users", {}, static_cast<double>(store.users));
    out.family("dirty_records", "gauge", "Records changed since the last flush.");
    out.sample("dirty_records", {}, static_cast<double>(store.dirty));
    out.family("persister_behind", "gauge",
               "1 while the persister is over two flush intervals behind the writes, which then wait for it.");
    out.sample("persister_behind", {}, context.data.persister().falling_behind() ? 1 : 0);
    out.family("catalog_entries", "gauge", "Catalog entries, managed and learned.");
    out.sample("catalog_entries", {}, static_cast<double>(context.data.catalog().snapshot()->size()));
    out.family("enrolments", "gauge", "Enrolments in memory.");
    out.sample("enrolments", {}, static_cast<double>(context.data.enrolments().size()));

    const auto persistence = context.data.persister().stats();
    out.family("flushes_total", "counter",
               "Flushes: batches made durable (write-ahead log frames or LMDB commits, or PostgreSQL in cluster mode).");
    out.sample("flushes_total", {}, static_cast<double>(persistence.flushes));
    out.family("flush_failures_total", "counter", "Flush attempts that failed.");
    out.sample("flush_failures_total", {}, static_cast<double>(persistence.failures));
    out.family("write_ahead_log_frames_total", "counter", "Batches made durable by the write-ahead log.");
    out.sample("write_ahead_log_frames_total", {}, static_cast<double>(persistence.log_frames));
    render_flush_durations(out, persistence);
    out.family("last_flush_age_seconds", "gauge", "Seconds since the last successful flush (-1: none yet).");
    out.sample("last_flush_age_seconds", {},
               persistence.last_success_ms == 0 ? -1.0
                                                : static_cast<double>(wall_clock_ms() - persistence.last_success_ms) / 1e3);
    if (context.data.cluster() == nullptr) {
        out.family("checkpoints_total", "counter", "Checkpoints: the write-ahead log's batches committed to LMDB.");
        out.sample("checkpoints_total", {}, static_cast<double>(persistence.checkpoints));
        out.family("last_checkpoint_duration_seconds", "gauge", "Duration of the last checkpoint, seconds.");
        out.sample("last_checkpoint_duration_seconds", {}, static_cast<double>(persistence.last_checkpoint_duration_us) / 1e6);
        out.family("lmdb_map_size_bytes", "gauge", "LMDB map size.");
        out.sample("lmdb_map_size_bytes", {}, static_cast<double>(persistence.map_size));
        out.family("lmdb_used_bytes", "gauge", "LMDB pages in use, bytes.");
        out.sample("lmdb_used_bytes", {}, static_cast<double>(persistence.used_bytes));
    } else {
        render_cluster(out, *context.data.cluster(), persistence);
        render_cluster_paths(out, context);
    }

    const auto webhooks = context.data.outbox().stats();
    out.family("webhook_deliveries_pending", "gauge", "Webhook deliveries in the outbox, waiting or being retried.");
    out.sample("webhook_deliveries_pending", {}, static_cast<double>(webhooks.pending));
    out.family("webhook_deliveries_total", "counter",
               "Webhook delivery outcomes: delivered, failed (an attempt to retry), dropped (given up).");
    out.sample("webhook_deliveries_total", "result=\"delivered\"", static_cast<double>(webhooks.delivered));
    out.sample("webhook_deliveries_total", "result=\"failed\"", static_cast<double>(webhooks.failed_attempts));
    out.sample("webhook_deliveries_total", "result=\"dropped\"", static_cast<double>(webhooks.dropped));

    std::uint64_t opened = 0;
    for (const auto& thread : context.metrics) opened += thread->connections_opened();
    out.family("connections", "gauge", "Open client connections.");
    out.sample("connections", {}, static_cast<double>(context.status.connections.load(std::memory_order_relaxed)));
    out.family("connections_total", "counter", "Client connections accepted.");
    out.sample("connections_total", {}, static_cast<double>(opened));

    render_process_metrics(out, read_process_figures(boot_time_seconds));

    http_response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.body() = out.take();
    return {std::move(response)};
}

}  // namespace

void register_ops_routes(router& routes, services& context) {
    const route_options open{.authenticated = false};
    routes.add(http::verb::get, "/livez", bind_handler(context, livez), open);
    routes.add(http::verb::get, "/healthz", bind_handler(context, livez), open);
    routes.add(http::verb::get, "/readyz", bind_handler(context, readyz), open);
    routes.add(http::verb::get, "/metrics",
               [&context, &routes, boot = read_boot_time_seconds()](request_context&) {
                   return metrics(context, routes, boot);
               },
               open);
    register_openapi_route(routes);
    register_availability_routes(routes, context);
}

}  // namespace progressd
