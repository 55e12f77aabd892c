#include "app/cluster_backend.hpp"

#include "common/clock.hpp"
#include "store/partition.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/webhook_rows.hpp"

#include <stdexcept>
#include <thread>
#include <vector>

namespace progressd::app {
namespace {

// The shared stores (the catalog and the webhooks) are the whole cluster's: every node keeps all
// of them, loaded here and kept current afterwards (docs/cluster.md, "Shared state").
template <class Loaded>
Loaded must_load(store::pg_outcome<Loaded> outcome, const char* what) {
    if (!outcome) throw std::runtime_error(std::string("loading ") + what + " from PostgreSQL: " + outcome.error().message);
    return std::move(outcome).value();
}

// PostgreSQL may still be starting beside the node (a whole cluster booting): wait for it rather
// than exit at once, within the start timeout.
store::connection connect_within(const std::string& conninfo, std::chrono::milliseconds timeout, const logger& log) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::chrono::milliseconds backoff{100};
    for (;;) {
        auto opened = store::connection::open(conninfo);
        if (opened) return std::move(opened).value();
        if (std::chrono::steady_clock::now() + backoff > deadline) {
            throw std::runtime_error("cannot reach PostgreSQL: " + opened.error().message);
        }
        log.warn("postgres_unreachable", {{"error", std::string_view(opened.error().message)},
                                          {"retry_ms", std::int64_t(backoff.count())}});
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds{2000});
    }
}

}  // namespace

cluster_backend::cluster_backend(stores& data, cluster_options options, const logger& log)
    : data_(data), options_(std::move(options)), log_(log) {}

cluster_backend::~cluster_backend() = default;

void cluster_backend::listening_on(const std::string& host_port) {
    if (options_.node_id.empty()) options_.node_id = host_port;
    if (options_.advertise_url.empty()) options_.advertise_url = "http://" + host_port;
    persister_.emplace(data_.records, options_.conninfo, options_.node_id, [this] { return membership_->claims(); },
                       store::pg_persister_options{.mode = options_.durability,
                                                   .flush_interval = options_.flush_interval,
                                                   .max_pending = options_.max_pending},
                       log_);
    persister_->attach(data_.catalog, store::batch_table::catalog);
    persister_->attach(data_.enrolments, store::batch_table::enrolments);
    persister_->attach(data_.assessments, store::batch_table::assessments);
    persister_->attach(data_.webhooks, store::batch_table::webhooks);
    persister_->attach(data_.outbox, store::batch_table::outbox);
    membership_.emplace(
        options_.conninfo, store::node_address{options_.node_id, options_.advertise_url},
        [this](std::span<const store::partition_claim> claims) { return persister_->flush_partitions(claims); },
        store::node_membership_options{
            .lease = options_.lease,
            .on_change = [this](const store::reconcile_report& report) { partitions_changed(report); },
            // Deliveries whose load failed (PostgreSQL unreachable) are tried again each period.
            .before_period = [this] { deliveries_->catch_up(); }},
        log_);
    residents_.emplace(data_.records, data_.enrolments, data_.assessments, options_.conninfo,
                       resident_options{.max_bytes = options_.cache_max_bytes},
                       [this] { return persister_->durable_generation(); }, log_);
    shared_.emplace(data_.catalog, data_.webhooks, options_.conninfo,
                    store::shared_state_listener_options{.own_backend_pid = [this] { return persister_->backend_pid(); }},
                    log_);
    deliveries_.emplace(data_.outbox, options_.conninfo, log_);
}


recovery_summary cluster_backend::recover() {
    const auto started = std::chrono::steady_clock::now();
    auto conn = connect_within(options_.conninfo, options_.start_timeout, log_);
    if (auto migrated = store::migrate(conn); !migrated) {
        throw std::runtime_error("migrating the PostgreSQL schema: " + migrated.error().message);
    }
    recovery_summary loaded;
    auto catalog = must_load(store::load_catalog(conn), "the catalog");
    loaded.catalog.records = catalog.size();
    data_.catalog.load(std::move(catalog));
    auto webhooks = must_load(store::load_webhooks(conn), "the webhooks");
    loaded.webhooks.records = webhooks.size();
    for (auto& hook : webhooks) data_.webhooks.load(std::move(hook));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    loaded.catalog.duration = took;
    return loaded;
}

void cluster_backend::start() {
    persister_->start();
    residents_->start();
    shared_->start();
    membership_->start();
}

bool cluster_backend::stop() {
    // The membership's planned stop flushes every partition through the persister, then leaves:
    // the others take over at their next step, with no lease to wait out.
    if (!membership_) return true;  // never listened: nothing was written
    const bool left = membership_->stop();
    shared_->stop();
    residents_->stop();
    const bool flushed = persister_->stop();
    return left && flushed;
}

route_decision cluster_backend::route(std::string_view user_id) const {
    const std::uint32_t partition = store::partition_of(user_id);
    if (membership_->owns(partition)) {
        const bool resident = residents_->touch(user_id);
        // A lease in doubt (PostgreSQL unreachable for a lease, a pause) may already be someone
        // else's, and then the fence refuses what is written here. What is in memory is still
        // served (docs/cluster.md, "What a failure costs"): reads as last written here, and in
        // snapshot durability writes too, buffered up to the persister's bound, since snapshot
        // never promised them; in sync durability a write would be a promise, so it is refused.
        if (!membership_->serving()) {
            if (!resident) return {};
            return {options_.durability == store::durability_mode::sync ? user_route::read_only : user_route::here,
                    nullptr};
        }
        return {resident ? user_route::here : user_route::load_first, nullptr};
    }
    auto owner = membership_->owner_of(partition);
    if (!owner || owner->node_id == options_.node_id) return {};
    return {user_route::forward, std::move(owner)};
}

route_decision cluster_backend::route_shared() const {
    constexpr std::uint32_t home = 0;
    if (membership_->owns(home)) return {membership_->serving() ? user_route::here : user_route::unowned, nullptr};
    auto owner = membership_->owner_of(home);
    if (!owner || owner->node_id == options_.node_id) return {};
    return {user_route::forward, std::move(owner)};
}

void cluster_backend::load_user(std::string_view user_id, std::function<void(bool loaded)> done) {
    residents_->load(user_id, std::move(done));
}

void cluster_backend::partitions_changed(const store::reconcile_report& report) {
    // What was handed over was flushed first; what was lost the fence refuses: either way the
    // users must leave memory, so the next owner's writes are never answered from a stale copy.
    std::vector<store::partition_claim> gone(report.released);
    gone.insert(gone.end(), report.lost.begin(), report.lost.end());
    std::vector<std::uint32_t> partitions;
    for (const auto& claim : gone) partitions.push_back(claim.partition);
    if (!partitions.empty()) residents_->drop_partitions(partitions);
    deliveries_->changed(report.acquired, gone);
    log_.info("partitions_changed", {{"acquired", std::int64_t(report.acquired.size())},
                                     {"released", std::int64_t(report.released.size())},
                                     {"lost", std::int64_t(report.lost.size())},
                                     {"held", std::int64_t(membership_->claims().size())}});
}

void cluster_backend::when_durable(std::uint64_t generation, durable_callback callback) {
    persister_->when_durable(generation, std::move(callback));
}

std::uint64_t cluster_backend::durable_generation() const { return persister_ ? persister_->durable_generation() : 0; }

void cluster_backend::request_flush() {
    if (persister_) persister_->request_flush();
}

bool cluster_backend::healthy() const { return persister_ && persister_->healthy() && membership_->serving(); }

bool cluster_backend::writable() const {
    if (!persister_) return false;
    if (options_.durability == store::durability_mode::sync) return persister_->healthy();
    return !persister_->over_bound();
}

write_behind_stats cluster_backend::stats() const {
    if (!persister_) return {};
    const auto s = persister_->stats();
    return {.flushes = s.flushes,
            .failures = s.failures,
            .written = s.changes_written,
            .last_flush_duration_us = s.last_flush_duration_us,
            .flush_durations = s.flush_durations,
            .last_success_ms = s.last_success_ms,
            .durable_generation = s.durable_generation,
            .fenced = s.fenced,
            .dropped_changes = s.dropped_changes,
            .pending = s.pending};
}

}  // namespace progressd::app
