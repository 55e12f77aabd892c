#include "store/persister.hpp"

#include "common/clock.hpp"
#include "store/record_codec.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
constexpr int attempts_on_stop = 3;

}  // namespace

persister::persister(progress_store& store, lmdb_environment& environment, persister_options options,
                     const logger& log)
    : store_(store), environment_(environment), options_(options), log_(log) {
    stats_.map_size = environment_.map_size();
    stats_.used_bytes = environment_.used_bytes();
}

persister::~persister() { stop(); }

void persister::attach(dirty_source& source, MDB_dbi database) { sources_.push_back({&source, database}); }

void persister::start() {
    thread_ = std::thread([this] { run(); });
}

bool persister::stop() {
    if (!thread_.joinable()) return all_flushed_on_stop_;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    return all_flushed_on_stop_;
}

void persister::when_durable(std::uint64_t generation, durable_callback callback) {
    {
        std::lock_guard lock(mutex_);
        if (generation > durable_generation_.load(std::memory_order_relaxed)) {
            waiters_.push_back({generation, std::move(callback)});
            wake_.notify_one();
            return;
        }
    }
    callback(true);
}

void persister::request_flush() {
    {
        std::lock_guard lock(mutex_);
        flush_requested_ = true;
    }
    wake_.notify_one();
}

persister_stats persister::stats() const {
    std::lock_guard lock(mutex_);
    persister_stats copy = stats_;
    copy.durable_generation = durable_generation_.load(std::memory_order_relaxed);
    return copy;
}

void persister::run() {
    auto next_flush = steady::now() + options_.flush_interval;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        // While retrying a failed batch, only the backoff (or stop) ends the wait: hammering a
        // full disk on every request would not help it recover.
        const bool retrying = backoff_.count() > 0;
        const auto deadline = retrying ? steady::now() + backoff_ : next_flush;
        wake_.wait_until(lock, deadline, [&] {
            return stopping_ || (!retrying && (flush_requested_ || !waiters_.empty()));
        });
        if (stopping_) break;
        flush_requested_ = false;
        lock.unlock();
        // Intervals count from the start of a batch, so a write waits at most one interval for
        // its batch to begin, however long the previous commit took.
        next_flush = steady::now() + options_.flush_interval;
        flush();
        lock.lock();
    }
    lock.unlock();

    // Shutdown: everything acknowledged so far must reach the disk.
    for (int attempt = 0; attempt < attempts_on_stop; ++attempt) {
        flush();
        if (pending_.empty()) break;
        std::this_thread::sleep_for(first_backoff);
    }
    if (!pending_.empty()) {
        log_.error("unflushed_on_stop", {{"records", std::int64_t(pending_.size())}});
        all_flushed_on_stop_ = false;
    }
    finish_waiters(UINT64_MAX, false);
}

void persister::flush() {
    const std::uint64_t generation = store_.begin_flush();
    collect(generation);
    if (pending_.empty()) {
        finish_waiters(generation, true);
        return;
    }
    commit_pending();
}

void persister::collect(std::uint64_t generation) {
    for (std::size_t shard = 0; shard < store_.shard_count(); ++shard) {
        store_.collect_dirty(shard, [this](std::string_view user_id, const record_key& key, const progress_record* record) {
            pending_write& write = pending_.emplace_back();
            write.database = environment_.records();
            encode_key(write.key, user_id, key);
            if (record) encode_record(write.value.emplace(), *record);
        });
    }
    for (const auto& attached : sources_) {
        attached.source->collect_changes([this, database = attached.database](std::string key, std::optional<std::string> value) {
            pending_.push_back({database, std::move(key), std::move(value)});
        });
    }
    pending_generation_ = generation;
}

void persister::commit_pending() {
    const auto started = steady::now();
    // Key order makes LMDB's page writes sequential; stable, so later changes to a key still win.
    std::stable_sort(pending_.begin(), pending_.end(), [](const pending_write& a, const pending_write& b) {
        return a.database != b.database ? a.database < b.database : a.key < b.key;
    });
    int rc = write_pending();
    while (rc == MDB_MAP_FULL && grow_map()) rc = write_pending();

    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started);
    if (rc != MDB_SUCCESS) {
        {
            std::lock_guard lock(mutex_);
            ++stats_.failures;
        }
        backoff_ = std::min(max_backoff, backoff_.count() == 0 ? first_backoff : backoff_ * 2);
        if (healthy_.exchange(false, std::memory_order_acq_rel)) {
            log_.error("flush_failed", {{"error", std::string_view(mdb_strerror(rc))},
                                        {"records", std::int64_t(pending_.size())}});
        }
        finish_waiters(pending_generation_, false);
        return;
    }

    {
        std::lock_guard lock(mutex_);
        ++stats_.flushes;
        stats_.records_written += pending_.size();
        stats_.last_flush_duration_us = static_cast<std::uint64_t>(elapsed.count());
        stats_.last_success_ms = wall_clock_ms();
        stats_.map_size = environment_.map_size();
        stats_.used_bytes = environment_.used_bytes();
    }
    pending_.clear();
    backoff_ = std::chrono::milliseconds{0};
    if (!healthy_.exchange(true, std::memory_order_acq_rel)) log_.info("flush_recovered", {});
    finish_waiters(pending_generation_, true);
}

int persister::write_pending() {
    lmdb_transaction txn;
    if (const int rc = environment_.begin_write(txn); rc != MDB_SUCCESS) return rc;
    for (const auto& write : pending_) {
        MDB_val key = as_val(write.key);
        int rc = MDB_SUCCESS;
        if (write.value) {
            MDB_val value = as_val(*write.value);
            rc = mdb_put(txn.get(), write.database, &key, &value, 0);
        } else {
            rc = mdb_del(txn.get(), write.database, &key, nullptr);
            if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;  // created and erased between two batches
        }
        if (rc != MDB_SUCCESS) return rc;
    }
    return txn.commit();
}

bool persister::grow_map() {
    const std::size_t current = environment_.map_size();
    if (options_.max_map_size != 0 && current >= options_.max_map_size) return false;
    std::size_t next = current * 2;
    if (options_.max_map_size != 0) next = std::min(next, options_.max_map_size);
    if (const int rc = environment_.set_map_size(next); rc != MDB_SUCCESS) {
        log_.error("lmdb_map_grow_failed", {{"error", std::string_view(mdb_strerror(rc))}});
        return false;
    }
    log_.info("lmdb_map_grown", {{"from_bytes", std::int64_t(current)}, {"to_bytes", std::int64_t(next)}});
    return true;
}

void persister::finish_waiters(std::uint64_t generation, bool committed) {
    std::vector<waiter> finished;
    {
        std::lock_guard lock(mutex_);
        if (committed && generation > durable_generation_.load(std::memory_order_relaxed)) {
            durable_generation_.store(generation, std::memory_order_release);
        }
        auto done = std::stable_partition(waiters_.begin(), waiters_.end(),
                                          [generation](const waiter& w) { return w.generation > generation; });
        std::move(done, waiters_.end(), std::back_inserter(finished));
        waiters_.erase(done, waiters_.end());
    }
    for (auto& w : finished) w.callback(committed);
}

}  // namespace progressd::store
