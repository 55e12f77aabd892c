#include "store/postgres/node_membership.hpp"

#include "store/postgres/lost_claims.hpp"
#include "store/postgres/node_registry.hpp"

#include <algorithm>
#include <utility>

namespace progressd::store {
namespace {

constexpr std::chrono::milliseconds first_backoff{100};

// "0-3,7,9-12": a log line names every partition that moved, and a node alone owns all 1024.
std::string partition_list(std::span<const partition_claim> claims) {
    std::string out;
    for (std::size_t i = 0; i < claims.size();) {
        std::size_t j = i;
        while (j + 1 < claims.size() && claims[j + 1].partition == claims[j].partition + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(claims[i].partition);
        if (j > i) out.append("-").append(std::to_string(claims[j].partition));
        i = j + 1;
    }
    return out;
}

void log_partitions(const logger& log, log_level level, std::string_view event, std::span<const partition_claim> claims) {
    if (claims.empty() || !log.enabled(level)) return;
    const auto list = partition_list(claims);
    log.write(level, event, {{"partitions", std::string_view(list)}, {"count", std::int64_t(claims.size())}});
}

}  // namespace

node_membership::node_membership(std::string conninfo, node_address self, flush_partitions flush,
                                 node_membership_options options, const logger& log)
    : conninfo_(std::move(conninfo)),
      self_(std::move(self)),
      flush_(std::move(flush)),
      options_(std::move(options)),
      period_(options_.period.count() > 0 ? options_.period : std::max(options_.lease / 3, std::chrono::milliseconds{1})),
      log_(log),
      view_(std::make_shared<const membership_view>(make_view(self_, {}, {}))),
      keeper_(self_.node_id, options_.lease) {}

node_membership::~node_membership() { stop(); }

void node_membership::start() { thread_ = std::thread([this] { run(); }); }

bool node_membership::stop() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    std::lock_guard lock(mutex_);
    return stopped_ok_;
}

std::shared_ptr<const membership_view> node_membership::view() const {
    std::lock_guard lock(view_mutex_);
    return view_;
}

std::vector<partition_claim> node_membership::claims() const { return view()->claims; }

bool node_membership::owns(std::uint32_t partition) const {
    std::lock_guard lock(view_mutex_);
    return view_->owns(partition);
}

std::shared_ptr<const node_address> node_membership::owner_of(std::uint32_t partition) const {
    std::lock_guard lock(view_mutex_);
    const auto* owner = view_->owner_of(partition);
    if (!owner) return nullptr;
    return {view_, owner};  // aliasing: shares the view's count, allocates nothing
}

bool node_membership::serving() const {
    return steady::now().time_since_epoch().count() < serving_until_.load(std::memory_order_acquire);
}

node_membership_stats node_membership::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void node_membership::run() {
    auto next = steady::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_until(lock, next, [&] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        if (options_.before_period) options_.before_period();
        // Periods count from the start of a step, so a slow step does not stretch the lease
        // margin: the next renewal is due one period after this one began.
        const auto started = steady::now();
        const bool ok = run_period(started);
        next = started + (ok ? period_ : bump_backoff());
        lock.lock();
    }
    lock.unlock();
    const bool ok = shut_down();
    lock.lock();
    stopped_ok_ = ok;
}

bool node_membership::run_period(steady::time_point started) {
    if (!serving() && !expiry_logged_ && !keeper_.claims().empty()) {
        // Rare and serious: the node stopped serving its users until it renews.
        log_.warn("membership_not_serving", {{"lease_ms", std::int64_t(options_.lease.count())}});
        expiry_logged_ = true;
    }
    if (!connected()) return false;
    if (auto beat = heartbeat(*conn_, self_.node_id, self_.advertise_url); !beat) {
        failed(beat.error());
        return false;
    }
    const auto report = keeper_.reconcile(*conn_, flush_);
    // Only a complete step surely renewed every lease held; a partial one leaves the deadline as it was.
    if (report.ok()) {
        serving_until_.store((started + options_.lease).time_since_epoch().count(), std::memory_order_release);
        expiry_logged_ = false;
    }
    std::optional<pg_error> error = report.error;
    if (report.ok()) {
        if (auto owners = read_owners(*conn_, options_.lease)) {
            owners_ = std::move(*owners);
        } else {
            error = owners.error();
        }
    }
    // Published before on_change hears of it, so the server never drops users the view still gives it.
    publish(keeper_.claims());
    note_changes(report);
    if (error) {
        failed(*error);
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.steps;
    }
    recovered();
    return true;
}

bool node_membership::connected() {
    if (conn_ && conn_->healthy()) return true;
    conn_.reset();
    auto opened = connection::open(conninfo_);
    if (!opened) {
        failed(opened.error());
        return false;
    }
    conn_.emplace(std::move(opened).value());
    if (std::exchange(connected_once_, true)) {
        std::lock_guard lock(mutex_);
        ++stats_.reconnects;
    }
    return true;
}

void node_membership::failed(const pg_error& error) {
    // A broken connection is replaced at the next try (its prepared statements go with it).
    if (conn_ && (error.code == pg_errc::connection_failed || !conn_->healthy())) conn_.reset();
    {
        std::lock_guard lock(mutex_);
        ++stats_.failures;
    }
    // Once per outage: the retries say nothing new.
    if (!std::exchange(failing_, true)) log_.error("membership_failed", {{"error", std::string_view(error.message)}});
}

void node_membership::recovered() {
    backoff_ = std::chrono::milliseconds{0};
    if (std::exchange(failing_, false)) log_.info("membership_recovered", {});
}

std::chrono::milliseconds node_membership::bump_backoff() {
    // Never slower than the period: a node that comes back should renew before its leases end.
    backoff_ = std::min(period_, backoff_.count() == 0 ? first_backoff : backoff_ * 2);
    return backoff_;
}

void node_membership::publish(std::span<const partition_claim> claims) {
    auto view = std::make_shared<const membership_view>(make_view(self_, claims, owners_));
    {
        std::lock_guard lock(view_mutex_);
        view_.swap(view);
    }
    version_.fetch_add(1, std::memory_order_acq_rel);
    // The old view is released here, outside the lock, unless a reader still holds it.
}

void node_membership::note_changes(const reconcile_report& report) {
    log_partitions(log_, log_level::info, "partitions_acquired", report.acquired);
    log_partitions(log_, log_level::info, "partitions_released", report.released);
    log_partitions(log_, log_level::warn, "partitions_lost", report.lost);
    {
        std::lock_guard lock(mutex_);
        stats_.acquired += report.acquired.size();
        stats_.released += report.released.size();
        stats_.lost += report.lost.size();
    }
    if (report.changed() && options_.on_change) options_.on_change(report);
}

bool node_membership::shut_down() {
    // From here on the node serves nothing: its partitions are about to move.
    serving_until_.store(steady::time_point::min().time_since_epoch().count(), std::memory_order_release);
    const auto deadline = steady::now() + options_.stop_timeout;
    const auto held = keeper_.claims().size();
    if (!flush_held(deadline)) {
        // Not released: the others take the partitions after the lease, and the fence refuses
        // whatever this node still tries to write after that.
        log_.error("membership_unflushed_on_stop", {{"partitions", std::int64_t(held)}});
        return false;
    }
    if (!leave_cluster(deadline)) {
        log_.error("membership_leave_failed", {{"partitions", std::int64_t(held)}});
        return false;
    }
    publish({});
    log_.info("membership_left", {{"partitions", std::int64_t(held)}});
    return true;
}

bool node_membership::flush_held(steady::time_point deadline) {
    auto claims = keeper_.claims();
    backoff_ = std::chrono::milliseconds{0};
    for (;;) {
        if (claims.empty() || !flush_ || flush_(claims)) return true;
        if (steady::now() >= deadline) return false;
        // A partition taken over meanwhile can never be flushed (the fence refuses it): its
        // changes are lost with it, and the rest should still be handed over at once.
        if (connected()) {
            if (auto lost = lost_claims(*conn_, self_.node_id, claims)) {
                log_partitions(log_, log_level::warn, "partitions_lost", *lost);
                std::erase_if(claims, [&](const partition_claim& claim) {
                    return std::binary_search(lost->begin(), lost->end(), claim,
                                              [](const partition_claim& a, const partition_claim& b) {
                                                  return a.partition < b.partition;
                                              });
                });
            } else {
                failed(lost.error());
            }
        }
        wait_backoff(deadline);
    }
}

bool node_membership::leave_cluster(steady::time_point deadline) {
    backoff_ = std::chrono::milliseconds{0};
    for (;;) {
        if (connected()) {
            if (auto left = leave(*conn_, self_.node_id)) return true;
            else failed(left.error());
        }
        if (steady::now() >= deadline) return false;
        wait_backoff(deadline);
    }
}

void node_membership::wait_backoff(steady::time_point deadline) {
    // Only stop() waits here, on its own thread, with nothing else to do before its deadline.
    std::this_thread::sleep_until(std::min(steady::now() + bump_backoff(), deadline));
}

}  // namespace progressd::store
