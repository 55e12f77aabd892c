#include "store/persist/persister.hpp"

#include "common/clock.hpp"
#include "store/codec/record_codec.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
constexpr int attempts_on_stop = 3;
// A batch of more changes than this is sorted even without a log (pending_ alone is ~48 bytes a change).
constexpr std::size_t large_batch = 65536;
// A list of changes this long is kept whatever the batches' sizes (store/scratch_reuse.hpp).
constexpr std::size_t always_kept_changes = 8192;

// The checkpoint thread's: below the persister and the I/O threads (docs/durability.md, "The
// write-ahead log": its slices of a busy core delayed requests). Lowering needs no privilege; a
// refusal leaves it where it was.
void lower_this_thread_to_lowest_priority() { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19); }

}  // namespace

persister::persister(progress_store& store, lmdb_environment& environment, persister_options options,
                     const logger& log)
    : store_(store), environment_(environment), options_(options), log_(log) {
    durable_through_.store(steady::now().time_since_epoch().count(), std::memory_order_relaxed);
    stats_.map_size = environment_.map_size();
    stats_.used_bytes = environment_.used_bytes();
}

persister::~persister() { stop(); }

void persister::attach(dirty_source& source, MDB_dbi database) { sources_.push_back({&source, database}); }

void persister::start() {
    durable_through_.store(steady::now().time_since_epoch().count(), std::memory_order_release);
    // Named, so that `top -H` and /proc/PID/task/*/comm tell an operator which one is busy.
    if (wal_ != nullptr) {
        checkpoint_thread_ = std::thread([this] {
            pthread_setname_np(pthread_self(), "checkpoints");
            lower_this_thread_to_lowest_priority();
            run_checkpoints();
        });
    }
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "persister");
        run();
    });
}

bool persister::stop() {
    if (!thread_.joinable()) return all_flushed_on_stop_;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();  // run() settles the checkpoint thread before its last batch
    if (checkpoint_thread_.joinable()) {
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_stop_ = true;
        }
        checkpoint_wake_.notify_all();
        checkpoint_thread_.join();
    }
    return all_flushed_on_stop_;
}

void persister::when_durable(std::uint64_t generation, durable_callback callback) {
    {
        std::unique_lock lock(mutex_);
        if (generation > durable_generation_.load(std::memory_order_relaxed)) {
            waiters_.push_back({generation, std::move(callback)});
            const bool hurry = waiters_start_batches();
            // Unlocked first: on a shared core the woken persister would otherwise run at once,
            // find the mutex still held by this thread, and sleep again.
            lock.unlock();
            if (hurry) wake_.notify_one();
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

bool persister::waiters_start_batches() const {
    // A snapshot-mode persister falling behind has writes waiting because it is slow: batches
    // started for them would be small ones, each paying a commit's syncs for a few changes, and
    // it would fall further behind. Its batches keep their interval (the next one is due at once).
    return !falling_behind();
}

bool persister::falling_behind() const {
    if (options_.mode == durability_mode::sync) return false;
    const steady::time_point through{steady::duration{durable_through_.load(std::memory_order_acquire)}};
    return steady::now() - through > 2 * options_.flush_interval;
}

persister_stats persister::stats() const {
    std::lock_guard lock(mutex_);
    persister_stats copy = stats_;
    copy.durable_generation = durable_generation_.load(std::memory_order_relaxed);
    return copy;
}

void persister::run() {
    auto next_batch = steady::now() + options_.flush_interval;
    auto next_checkpoint = steady::now() + options_.checkpoint_interval;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        // While retrying a failed batch, only the backoff (or stop) ends the wait: hammering a
        // full disk on every request would not help it recover.
        const bool retrying = backoff_.count() > 0;
        const auto deadline = retrying ? steady::now() + backoff_ : next_batch;
        wake_.wait_until(lock, deadline, [&] {
            return stopping_ || (!retrying && (flush_requested_ || (!waiters_.empty() && waiters_start_batches())));
        });
        if (stopping_) break;
        const bool requested = std::exchange(flush_requested_, false);
        lock.unlock();
        // Intervals count from the start of a batch, so a write waits at most one interval for
        // its batch to begin, however long the previous one took. With a log, a checkpoint is
        // due on its own interval or size (request_flush asks for one at once); one due while
        // the previous still runs is tried again with the next batch, frames going on meanwhile.
        const auto now = steady::now();
        next_batch = now + options_.flush_interval;
        const bool checkpoint = wal_ == nullptr || requested || now >= next_checkpoint ||
                                wal_->bytes() >= options_.checkpoint_log_bytes;
        if (flush(checkpoint ? batch_kind::checkpoint : batch_kind::frame) && checkpoint) {
            next_checkpoint = now + options_.checkpoint_interval;
        }
        lock.lock();
    }
    lock.unlock();

    // Shutdown: everything acknowledged so far must reach the disk.
    for (int attempt = 0; attempt < attempts_on_stop; ++attempt) {
        flush(batch_kind::final_checkpoint);
        if (pending_.empty()) break;
        std::this_thread::sleep_for(first_backoff);
    }
    if (!pending_.empty()) {
        log_.error("unflushed_on_stop", {{"records", std::int64_t(pending_.size())}});
        all_flushed_on_stop_ = false;
    }
    finish_waiters(UINT64_MAX, false);
}

bool persister::flush(batch_kind kind) {
    const bool on_stop = kind == batch_kind::final_checkpoint;
    // Before the generation turns: every write acknowledged until now is in this batch.
    const auto began = steady::now();
    const std::uint64_t generation = store_.begin_flush();
    pending_began_ = began;
    // After it: a snapshot write's reply waits for the batch before its own once the persister
    // falls behind (app::database::reply_waits_for), so while this waits for a checkpoint, those
    // replies wait too. Turned after the wait, the generation would let them all through, and
    // the checkpoint at nice 19 would get no CPU (a 99-s checkpoint in a long run).
    if (!on_stop) make_room_in_log();
    const bool to_log = !on_stop && log_takes_batch();
    if (to_log && log_batch(generation)) {
        batch_durable(generation, began);
        if (kind == batch_kind::frame) return false;
        switch (start_checkpoint()) {
            case checkpoint_start::handed_over: return true;
            case checkpoint_start::busy: return false;
            case checkpoint_start::failed: break;  // taken back below, and committed here
        }
    } else {
        // A failed frame's batch is in pending_ already (log_batch).
        if (!to_log) collect(generation);
        if (pending_.empty()) batch_durable(generation, began);
    }
    // To LMDB on this thread: without a log; on stop; after a failed frame, commit or checkpoint
    // (until a commit succeeds, so the log only ever extends a state LMDB can restore); for a
    // batch too large for a frame.
    const std::size_t taken_back = settle_checkpoint();
    if (!take_back_log(taken_back)) return false;
    if (!pending_.empty()) commit_pending();
    return pending_.empty();
}

void persister::collect(std::uint64_t generation) {
    for (std::size_t shard = 0; shard < store_.shard_count(); ++shard) {
        store_.collect_dirty(shard, [this](std::string_view user_id, const record_key& key, const progress_record* record) {
            const std::optional<std::string_view> value = encode_change(user_id, key, record);
            add_pending(environment_.records(), key_scratch_, value);
        });
    }
    collect_sources(generation);
}

void persister::collect_sources(std::uint64_t generation) {
    for (const auto& attached : sources_) {
        attached.source->collect_changes([this, database = attached.database](std::string key, std::optional<std::string> value) {
            add_pending(database, key, value ? std::optional<std::string_view>(*value) : std::nullopt);
        });
    }
    pending_generation_ = generation;
}

std::optional<std::string_view> persister::encode_change(std::string_view user_id, const record_key& key,
                                                         const progress_record* record) {
    encode_key(key_scratch_, user_id, key);
    if (!record) return std::nullopt;
    encode_record(value_scratch_, *record);
    return value_scratch_;
}

void persister::add_pending(MDB_dbi database, std::string_view key, std::optional<std::string_view> value) {
    pending_write& write = pending_.emplace_back();
    write.database = database;
    write.order = next_order_++;
    write.key = arena_.store(key);
    if (value) write.value = arena_.store(*value);
}

void persister::commit_pending() {
    const auto started = steady::now();
    const bool records_only = std::all_of(pending_.begin(), pending_.end(), [this](const pending_write& write) {
        return write.database == environment_.records();
    });
    const bool split = options_.writes_per_transaction != 0 && pending_.size() > options_.writes_per_transaction &&
                       records_only;
    // Collection order is a correct order (a later change to a key wins), and it already keeps a
    // user's changes together except where the user was written again while being collected, so
    // a split batch is cut in that order too. Sorting by key only pays where it is needed
    // (docs/durability.md, "Batches"; for a second of new records it costs more than it saves):
    // - with a write-ahead log, to drop the repeated changes to a key that its frames accumulate;
    // - on a retry: the changes kept from a failed commit, then newer ones to the same keys,
    //   which sorted come right after them and replace them (a delete then makes room for the
    //   put it supersedes, which could not fit);
    // - for a bulk batch (a first flush after an import): keys in order let LMDB fill its pages,
    //   where 1 M new records as collected made a file 1.5 times as large, three times as slowly.
    const bool retrying = backoff_.count() > 0;
    if (wal_ != nullptr || retrying || pending_.size() > large_batch) sort_by_key(pending_);
    std::size_t committed = 0;  // pending_[0, committed) is on disk
    const auto covers = wal_ != nullptr ? std::optional(wal_->last_sequence()) : std::nullopt;
    const int rc = write_transactions(pending_, split ? options_.writes_per_transaction : 0, covers, committed);

    if (rc != MDB_SUCCESS) {
        // What committed stays committed; only the rest is retried, newer changes behind it.
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(committed));
        record_failure(rc, committed, pending_.size());
        back_off();
        // The generation is not whole on disk while any of it is left, so its waiters fail.
        finish_waiters(pending_generation_, false);
        return;
    }

    record_commit(pending_.size(), std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started));
    release_scratch(pending_, arena_);
    taken_back_.clear();
    active_log_taken_back_ = false;
    next_order_ = 0;
    if (wal_) wal_->rewind();
    backoff_ = std::chrono::milliseconds{0};
    batch_durable(pending_generation_, pending_began_);
}

void persister::back_off() { backoff_ = std::min(max_backoff, backoff_.count() == 0 ? first_backoff : backoff_ * 2); }

void persister::sort_by_key(std::vector<pending_write>& writes) {
    std::sort(writes.begin(), writes.end(), [](const pending_write& a, const pending_write& b) {
        if (a.database != b.database) return a.database < b.database;
        if (const int c = a.key.compare(b.key); c != 0) return c < 0;
        return a.order < b.order;
    });
}

void persister::record_commit(std::size_t written, std::chrono::microseconds took) {
    {
        std::lock_guard lock(mutex_);
        record_success(took);
        stats_.records_written += written;
        stats_.map_size = environment_.map_size();
        stats_.used_bytes = environment_.used_bytes();
    }
    if (!healthy_.exchange(true, std::memory_order_acq_rel)) log_.info("flush_recovered", {});
}

void persister::record_frame(std::chrono::microseconds took) {
    std::lock_guard lock(mutex_);
    record_success(took);
    ++stats_.log_frames;
}

void persister::record_success(std::chrono::microseconds took) {
    ++stats_.flushes;
    stats_.last_flush_duration_us = static_cast<std::uint64_t>(took.count());
    stats_.flush_durations.observe(took);
    stats_.last_success_ms = wall_clock_ms();
}

void persister::record_checkpoint(std::size_t written, std::chrono::microseconds took) {
    {
        std::lock_guard lock(mutex_);
        ++stats_.checkpoints;
        stats_.last_checkpoint_duration_us = static_cast<std::uint64_t>(took.count());
        stats_.records_written += written;
        stats_.map_size = environment_.map_size();
        stats_.used_bytes = environment_.used_bytes();
    }
    if (!healthy_.exchange(true, std::memory_order_acq_rel)) log_.info("flush_recovered", {});
}

void persister::record_failure(int rc, std::size_t committed, std::size_t left) {
    {
        std::lock_guard lock(mutex_);
        ++stats_.failures;
        stats_.records_written += committed;
        stats_.map_size = environment_.map_size();
        stats_.used_bytes = environment_.used_bytes();
    }
    if (healthy_.exchange(false, std::memory_order_acq_rel)) {
        log_.error("flush_failed", {{"error", std::string_view(mdb_strerror(rc))}, {"records", std::int64_t(left)}});
    }
}

void persister::release_scratch(std::vector<pending_write>& writes, byte_arena& arena) {
    if (keep_for_next_batch(writes.size(), writes.capacity(), always_kept_changes)) {
        writes.clear();
    } else {
        std::vector<pending_write>().swap(writes);
    }
    arena.clear();
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

void persister::batch_durable(std::uint64_t generation, steady::time_point began) {
    durable_through_.store(began.time_since_epoch().count(), std::memory_order_release);
    finish_waiters(generation, true);
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
