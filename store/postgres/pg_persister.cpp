#include "store/postgres/pg_persister.hpp"

#include <algorithm>
#include <utility>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

// Batches that dropped or held back changes, remembered for waiters registering late. A waiter
// registers right after its write, so only the latest batch or two can concern it.
constexpr std::size_t lossy_kept = 16;

}  // namespace

pg_persister::pg_persister(progress_store& store, std::string conninfo, std::string node_id, claims_provider claims,
                           pg_persister_options options, const logger& log)
    : store_(store),
      conninfo_(std::move(conninfo)),
      node_id_(std::move(node_id)),
      claims_(std::move(claims)),
      options_(options),
      log_(log) {}

pg_persister::~pg_persister() { stop(); }

void pg_persister::start() { thread_ = std::thread([this] { run(); }); }

bool pg_persister::stop() {
    if (!thread_.joinable()) return all_flushed_on_stop_;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    return all_flushed_on_stop_;
}

void pg_persister::when_durable(std::uint64_t generation, durable_callback callback) {
    enqueue_or_answer({generation, std::nullopt, std::move(callback)});
}

void pg_persister::when_durable(std::uint64_t generation, std::uint32_t partition, durable_callback callback) {
    enqueue_or_answer({generation, partition, std::move(callback)});
}

void pg_persister::enqueue_or_answer(waiter w) {
    std::unique_lock lock(mutex_);
    const std::uint64_t durable = durable_generation_.load(std::memory_order_relaxed);
    if (w.generation > durable) {
        waiters_.push_back(std::move(w));
        // Unlocked first: on a shared core the woken persister would otherwise run at once,
        // find the mutex still held by this thread, and sleep again.
        lock.unlock();
        wake_.notify_one();
        return;
    }
    // Already decided: true unless its batch (or the one before) dropped or held back its changes.
    const bool lost = lost_for(w.generation, w.partition, durable);
    lock.unlock();
    w.callback(!lost);
}

void pg_persister::request_flush() {
    {
        std::lock_guard lock(mutex_);
        flush_requested_ = true;
    }
    wake_.notify_one();
}

bool pg_persister::flush_partitions(std::span<const partition_claim> claims, std::chrono::milliseconds timeout) {
    auto request = std::make_shared<flush_request>();
    request->claims.assign(claims.begin(), claims.end());
    auto done = request->done.get_future();
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !thread_.joinable()) return false;
        requests_.push_back(std::move(request));
    }
    wake_.notify_one();
    // The request stays shared with the persister, which answers it even after we gave up.
    if (done.wait_for(timeout) != std::future_status::ready) return false;
    return done.get();
}

pg_persister_stats pg_persister::stats() const {
    std::lock_guard lock(mutex_);
    pg_persister_stats copy = stats_;
    copy.durable_generation = durable_generation_.load(std::memory_order_relaxed);
    return copy;
}

void pg_persister::run() {
    run_until_stopped();
    finish_on_stop();
}

void pg_persister::run_until_stopped() {
    auto next_flush = steady::now() + options_.flush_interval;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        // While retrying a failed batch only the backoff, a handover flush or stop ends the wait:
        // hammering an unreachable server on every request would not bring it back sooner.
        const bool retrying = backoff_.count() > 0;
        const auto deadline = retrying ? steady::now() + backoff_ : next_flush;
        wake_.wait_until(lock, deadline, [&] {
            return stopping_ || !requests_.empty() || (!retrying && (flush_requested_ || !waiters_.empty()));
        });
        if (stopping_) break;
        flush_requested_ = false;
        auto requests = std::exchange(requests_, {});
        lock.unlock();
        // Intervals count from the start of a batch, so a write waits at most one interval for
        // its batch to begin, however long the previous commit took.
        next_flush = steady::now() + options_.flush_interval;
        flush_once(requests);
        lock.lock();
    }
}

void pg_persister::finish_on_stop() {
    // Everything acknowledged so far should reach PostgreSQL; an unreachable one is tried until
    // the timeout, with the usual backoff.
    const auto deadline = steady::now() + options_.stop_timeout;
    for (;;) {
        std::vector<std::shared_ptr<flush_request>> requests;
        {
            std::lock_guard lock(mutex_);
            requests = std::exchange(requests_, {});
        }
        flush_once(requests);
        const bool settled = pending_.size() == pending_.held_back() && backoff_.count() == 0;
        if (settled || steady::now() >= deadline) break;
        // The usual backoff, cut short so that one more try fits before the deadline.
        std::this_thread::sleep_until(std::min(steady::now() + backoff_, deadline));
    }
    if (pending_.size() != 0) {
        log_.error("unflushed_on_stop", {{"changes", std::int64_t(pending_.size())},
                                         {"held_back", std::int64_t(pending_.held_back())}});
        all_flushed_on_stop_ = false;
    }
    finish_waiters(UINT64_MAX, false);
    std::lock_guard lock(mutex_);
    for (auto& request : requests_) request->done.set_value(false);
    requests_.clear();
}

bool pg_persister::lost_for(std::uint64_t generation, const std::optional<std::uint32_t>& partition,
                            std::uint64_t through) const {
    // A write of generation g is collected by the batch of g or, during its walk, the one before.
    const std::uint64_t from = generation == 0 ? 0 : generation - 1;
    return std::any_of(lossy_.begin(), lossy_.end(), [&](const lossy_batch& batch) {
        if (batch.generation < from || batch.generation > through) return false;
        return !partition || std::binary_search(batch.partitions.begin(), batch.partitions.end(), *partition);
    });
}

void pg_persister::finish_waiters(std::uint64_t generation, bool committed) {
    std::vector<std::pair<durable_callback, bool>> finished;
    {
        std::lock_guard lock(mutex_);
        if (committed && generation > durable_generation_.load(std::memory_order_relaxed)) {
            durable_generation_.store(generation, std::memory_order_release);
        }
        auto done = std::stable_partition(waiters_.begin(), waiters_.end(),
                                          [generation](const waiter& w) { return w.generation > generation; });
        for (auto it = done; it != waiters_.end(); ++it) {
            const bool ok = committed && !lost_for(it->generation, it->partition, generation);
            finished.emplace_back(std::move(it->callback), ok);
        }
        waiters_.erase(done, waiters_.end());
    }
    for (auto& [callback, ok] : finished) callback(ok);
}

void pg_persister::report_losses(const change_report& report, std::uint64_t generation) {
    if (report.empty()) return;
    std::string dropped;
    for (const auto partition : report.dropped_partitions) dropped.append(dropped.empty() ? "" : ",").append(std::to_string(partition));
    std::string held;
    for (const auto partition : report.held_partitions) held.append(held.empty() ? "" : ",").append(std::to_string(partition));
    {
        std::lock_guard lock(mutex_);
        stats_.dropped_changes += report.dropped_changes;
        stats_.dropped_partitions += report.dropped_partitions.size();
        lossy_batch batch{generation, report.dropped_partitions};
        batch.partitions.insert(batch.partitions.end(), report.held_partitions.begin(), report.held_partitions.end());
        std::sort(batch.partitions.begin(), batch.partitions.end());
        lossy_.push_back(std::move(batch));
        if (lossy_.size() > lossy_kept) lossy_.pop_front();
    }
    // Rare and worth an operator's eye: changes that will never be written by this node.
    if (!report.dropped_partitions.empty()) {
        log_.warn("write_behind_dropped", {{"partitions", std::string_view(dropped)},
                                           {"changes", std::int64_t(report.dropped_changes)}});
    }
    if (!report.held_partitions.empty()) {
        log_.warn("write_behind_held_back", {{"partitions", std::string_view(held)},
                                             {"changes", std::int64_t(report.held_changes)}});
    }
}

void pg_persister::publish_sizes() {
    const std::size_t size = pending_.size();
    over_bound_.store(size >= options_.max_pending, std::memory_order_release);
    std::lock_guard lock(mutex_);
    stats_.pending = size;
    stats_.held_back = pending_.held_back();
}

}  // namespace progressd::store
