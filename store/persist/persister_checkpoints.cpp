// The persister's checkpoint thread (sync mode with a write-ahead log; store/persist/persister.hpp): the
// hand-over of a checkpoint, the thread that writes it to LMDB, and taking a failed one back.
#include "store/persist/persister.hpp"

#include <chrono>
#include <utility>

namespace progressd::store {

persister::checkpoint_start persister::start_checkpoint() {
    {
        std::lock_guard lock(checkpoint_mutex_);
        if (checkpoint_state_ == checkpoint_state::running) return checkpoint_start::busy;
        if (checkpoint_state_ == checkpoint_state::failed) return checkpoint_start::failed;
        if (pending_.empty()) return checkpoint_start::handed_over;  // nothing since the last one
        checkpoint_.writes.swap(pending_);  // both emptied after their last batch
        std::swap(checkpoint_.arena, arena_);
        checkpoint_.covers = wal_->last_sequence();
        checkpoint_state_ = checkpoint_state::running;
    }
    checkpoint_wake_.notify_one();
    // The other file's frames are all in LMDB: the previous checkpoint covered them.
    wal_->switch_files();
    logged_ = 0;
    next_order_ = 0;
    return checkpoint_start::handed_over;
}

void persister::settle_checkpoint() {
    if (!checkpoint_thread_.joinable()) return;
    std::unique_lock lock(checkpoint_mutex_);
    checkpoint_wake_.wait(lock, [this] { return checkpoint_state_ != checkpoint_state::running; });
    if (checkpoint_state_ != checkpoint_state::failed) return;
    // Older than everything logged since, so in front of it, in the same order as collected.
    std::vector<pending_write> merged = std::move(checkpoint_.writes);
    merged.insert(merged.end(), pending_.begin(), pending_.end());
    pending_ = std::move(merged);
    for (std::size_t i = 0; i < pending_.size(); ++i) pending_[i].order = static_cast<std::uint32_t>(i);
    next_order_ = static_cast<std::uint32_t>(pending_.size());
    checkpoint_.writes = {};
    std::swap(taken_back_, checkpoint_.arena);
    logged_ = 0;  // every batch commits on this thread until one succeeds
    checkpoint_state_ = checkpoint_state::idle;
}

void persister::run_checkpoints() {
    std::unique_lock lock(checkpoint_mutex_);
    for (;;) {
        checkpoint_wake_.wait(lock, [this] { return checkpoint_stop_ || checkpoint_state_ == checkpoint_state::running; });
        if (checkpoint_state_ != checkpoint_state::running) return;
        lock.unlock();
        // Only this thread touches checkpoint_ while it runs.
        const auto started = std::chrono::steady_clock::now();
        sort_by_key(checkpoint_.writes);
        std::size_t committed = 0;
        const int rc = write_transactions(checkpoint_.writes, options_.checkpoint_writes_per_transaction,
                                          checkpoint_.covers, committed);
        if (rc == MDB_SUCCESS) {
            record_commit(checkpoint_.writes.size(),
                          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
            release_scratch(checkpoint_.writes, checkpoint_.arena);
        } else {
            checkpoint_.writes.erase(checkpoint_.writes.begin(),
                                     checkpoint_.writes.begin() + static_cast<std::ptrdiff_t>(committed));
            record_failure(rc, committed, checkpoint_.writes.size());
        }
        lock.lock();
        checkpoint_state_ = rc == MDB_SUCCESS ? checkpoint_state::idle : checkpoint_state::failed;
        checkpoint_wake_.notify_all();
    }
}

}  // namespace progressd::store
