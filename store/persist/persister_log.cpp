// The persister's write-ahead log side (store/persist/persister.hpp): a batch as a frame, handing
// the active file's frames to the checkpoint thread, the thread that reads them back and writes
// them to LMDB, and taking frames back when the persister must commit them itself.
#include "store/persist/persister.hpp"

#include "store/codec/record_codec.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace progressd::store {
namespace {

// Bytes [from, from + 8) of `key` as a big-endian number, zero-padded: numbers compare as the
// bytes do (std::string_view::compare compares them unsigned).
std::uint64_t key_bytes_as_number(std::string_view key, std::size_t from) {
    std::uint64_t number = 0;
    for (std::size_t i = from; i < from + 8; ++i) {
        number = (number << 8) | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
    }
    return number;
}

}  // namespace

void persister::make_room_in_log() {
    if (wal_ == nullptr || backoff_.count() > 0 || wal_->bytes() < 2 * options_.checkpoint_log_bytes) return;
    {
        std::unique_lock lock(checkpoint_mutex_);
        checkpoint_wake_.wait(lock, [this] { return checkpoint_state_ != checkpoint_state::running; });
    }
    // Failed: the log stays full, and flush() commits everything itself.
    start_checkpoint();
}

bool persister::log_takes_batch() const {
    return wal_ != nullptr && backoff_.count() == 0 && pending_.empty() &&
           wal_->bytes() < 2 * options_.checkpoint_log_bytes;
}

bool persister::log_batch(std::uint64_t generation) {
    const auto started = std::chrono::steady_clock::now();
    // The records go straight into the frame, encoded, a piece at a time: a second of new records
    // is never held in memory (~180 bytes a change as pending writes). Their keys are kept (~56
    // bytes a change), for a frame that fails; the sources' changes wait in pending_.
    std::size_t changes = 0;
    for (std::size_t shard = 0; shard < store_.shard_count(); ++shard) {
        store_.collect_dirty(shard, [&](std::string_view user_id, const record_key& key, const progress_record* record) {
            const std::optional<std::string_view> value = encode_change(user_id, key, record);
            if (++changes > options_.max_frame_changes) {
                if (changes == options_.max_frame_changes + 1) wal_->abandon_frame();
                add_pending(environment_.records(), key_scratch_, value);
                return;
            }
            wal_->add(environment_.records(), key_scratch_, value);
            frame_keys_.push_back(arena_.store(key_scratch_));
        });
        wal_->write_pieces();  // outside the shard's lock
    }
    collect_sources(generation);

    bool logged = changes <= options_.max_frame_changes;
    if (logged && (changes > 0 || !pending_.empty())) {
        for (const pending_write& write : pending_) wal_->add(write.database, write.key, write.value);
        if (const int error = wal_->write_frame(); error != 0) {
            // Once per outage: every batch goes to LMDB meanwhile, and tries the log again after it.
            if (!log_failing_) log_.error("write_ahead_log_failed", {{"error", std::string_view(std::strerror(error))}});
            log_failing_ = true;
            logged = false;
        } else {
            if (std::exchange(log_failing_, false)) log_.info("write_ahead_log_recovered", {});
            record_frame(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
        }
    }
    if (logged) {
        // In the log now: LMDB gets these changes from there, in the next checkpoint.
        frame_keys_.clear();
        release_scratch(pending_, arena_);
        next_order_ = 0;
        return true;
    }
    // The frame is not on disk, and the store has cleared the dirty flags of what it took: each of
    // its keys goes to pending_ as the store holds it now (a removal where it holds nothing), after
    // anything collected since the frame was given up, so the newest state wins. A key changed
    // again meanwhile is also dirty again, and the next batch writes it once more.
    for (const std::string_view encoded : frame_keys_) {
        const std::optional<decoded_key> key = decode_key(encoded);  // encode_key wrote it
        const auto record = store_.find(key->user_id, key->context_id, key->content_id);
        std::optional<std::string_view> value;
        if (record) {
            encode_record(value_scratch_, *record);
            value = value_scratch_;
        }
        add_pending(environment_.records(), encoded, value);
    }
    frame_keys_.clear();
    return false;
}

persister::checkpoint_start persister::start_checkpoint() {
    {
        std::lock_guard lock(checkpoint_mutex_);
        if (checkpoint_state_ == checkpoint_state::running) return checkpoint_start::busy;
        if (checkpoint_state_ == checkpoint_state::failed) return checkpoint_start::failed;
        if (wal_->bytes() == 0) return checkpoint_start::handed_over;  // nothing since the last one
        mapped_file frames = wal_->map_active();
        if (!frames.is_mapped()) {
            // Tried again with every batch: logged once until a mapping succeeds.
            if (!log_unmappable_) log_.error("write_ahead_log_unreadable", {{"error", std::string_view(std::strerror(errno))}});
            log_unmappable_ = true;
            return checkpoint_start::busy;
        }
        log_unmappable_ = false;
        checkpoint_.log = std::move(frames);
        checkpoint_.covers = wal_->last_sequence();
        checkpoint_state_ = checkpoint_state::running;
    }
    checkpoint_wake_.notify_one();
    // The other file's frames are all in LMDB: the previous checkpoint covered them.
    wal_->switch_files();
    return checkpoint_start::handed_over;
}

std::size_t persister::settle_checkpoint() {
    if (!checkpoint_thread_.joinable()) return 0;
    std::unique_lock lock(checkpoint_mutex_);
    checkpoint_wake_.wait(lock, [this] { return checkpoint_state_ != checkpoint_state::running; });
    if (checkpoint_state_ != checkpoint_state::failed) return 0;
    // Older than everything logged since, so in front of it.
    const std::size_t taken = checkpoint_.writes.size();
    pending_.insert(pending_.begin(), checkpoint_.writes.begin(), checkpoint_.writes.end());
    for (std::size_t i = 0; i < pending_.size(); ++i) pending_[i].order = static_cast<std::uint32_t>(i);
    next_order_ = static_cast<std::uint32_t>(pending_.size());
    checkpoint_.writes = {};
    taken_back_.push_back(std::move(checkpoint_.log));
    checkpoint_state_ = checkpoint_state::idle;
    return taken;
}

bool persister::take_back_log(std::size_t at) {
    if (wal_ == nullptr || active_log_taken_back_ || wal_->bytes() == 0) return true;
    mapped_file frames = wal_->map_active();
    std::vector<logged_change_ref> changes;
    if (!frames.is_mapped() || !read_back(frames, wal_->last_sequence(), changes)) {
        // Still in the log, and later changes stay pending behind them: retried with backoff.
        record_failure(MDB_CORRUPTED, 0, pending_.size());
        back_off();
        return false;
    }
    std::vector<pending_write> logged;
    logged.reserve(changes.size());
    for (const logged_change_ref& change : changes) logged.push_back(logged_write(frames, change.offset, 0));
    pending_.insert(pending_.begin() + static_cast<std::ptrdiff_t>(at), logged.begin(), logged.end());
    for (std::size_t i = 0; i < pending_.size(); ++i) pending_[i].order = static_cast<std::uint32_t>(i);
    next_order_ = static_cast<std::uint32_t>(pending_.size());
    taken_back_.push_back(std::move(frames));
    active_log_taken_back_ = true;
    return true;
}

bool persister::read_back(const mapped_file& log, std::uint64_t covers, std::vector<logged_change_ref>& changes) const {
    const log_read_back read = wal_->read_back(log.bytes(), [&](std::size_t offset, std::string_view key) {
        changes.push_back({key_bytes_as_number(key, 0), key_bytes_as_number(key, 8), offset});
    });
    // Every frame in the file was written whole and fdatasync'd: anything short of that is a bug
    // or a failing disk, and a checkpoint of part of it would mark the rest as written.
    if (read.end == log.bytes().size()) return true;
    log_.error("write_ahead_log_read_back_short", {{"bytes", std::int64_t(log.bytes().size())},
                                                  {"intact_bytes", std::int64_t(read.end)},
                                                  {"last_frame", std::int64_t(read.last_sequence)},
                                                  {"expected_last_frame", std::int64_t(covers)}});
    return false;
}

persister::pending_write persister::logged_write(const mapped_file& log, std::size_t offset, std::uint32_t order) const {
    const log_change change = wal_->change_at(log.bytes(), offset);
    return {change.database, order, change.key, change.value};
}

int persister::write_checkpoint(std::size_t& committed) {
    checkpoint_batch& batch = checkpoint_;
    // Sorted, the changes of a key in a database come together (in log order: offsets grow with
    // it) and only the last is put, and each transaction writes neighbouring leaf pages, each once.
    // By key first and database second: the few changes of other databases than the records' only
    // make the transaction reopen its cursor.
    std::sort(batch.changes.begin(), batch.changes.end(), [&](const logged_change_ref& a, const logged_change_ref& b) {
        if (a.key_head != b.key_head) return a.key_head < b.key_head;
        if (a.key_tail != b.key_tail) return a.key_tail < b.key_tail;
        const log_change x = wal_->change_at(batch.log.bytes(), a.offset);
        const log_change y = wal_->change_at(batch.log.bytes(), b.offset);
        if (const int c = x.key.compare(y.key); c != 0) return c < 0;
        if (x.database != y.database) return x.database < y.database;
        return a.offset < b.offset;
    });
    const std::size_t cut = options_.writes_per_transaction == 0 ? batch.changes.size() : options_.writes_per_transaction;
    int rc = MDB_SUCCESS;
    do {
        // One transaction's changes, never cut between two of one user (as transaction_end).
        batch.writes.clear();
        std::size_t end = committed;
        while (end < batch.changes.size() &&
               (end - committed < cut ||
                user_of(batch.writes.back().key) == user_of(wal_->change_at(batch.log.bytes(), batch.changes[end].offset).key))) {
            batch.writes.push_back(logged_write(batch.log, batch.changes[end].offset, static_cast<std::uint32_t>(end - committed)));
            ++end;
        }
        const bool last = end == batch.changes.size();
        const auto covers = last ? std::optional(batch.covers) : std::nullopt;
        rc = write_pending(batch.writes, 0, batch.writes.size(), covers, last);
        while (rc == MDB_MAP_FULL && grow_map()) rc = write_pending(batch.writes, 0, batch.writes.size(), covers, last);
        if (rc == MDB_SUCCESS) committed = end;
    } while (rc == MDB_SUCCESS && committed < batch.changes.size());
    return rc;
}

void persister::run_checkpoints() {
    std::unique_lock lock(checkpoint_mutex_);
    for (;;) {
        checkpoint_wake_.wait(lock, [this] { return checkpoint_stop_ || checkpoint_state_ == checkpoint_state::running; });
        if (checkpoint_state_ != checkpoint_state::running) return;
        lock.unlock();
        // Only this thread touches checkpoint_ while it runs.
        const auto started = std::chrono::steady_clock::now();
        std::size_t committed = 0;
        const int rc = read_back(checkpoint_.log, checkpoint_.covers, checkpoint_.changes) ? write_checkpoint(committed)
                                                                                          : MDB_CORRUPTED;
        if (rc == MDB_SUCCESS) {
            record_checkpoint(checkpoint_.changes.size(),
                              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
            checkpoint_.log = mapped_file();
            checkpoint_.writes = {};
        } else {
            // What is left, for settle_checkpoint to take back in log order.
            std::sort(checkpoint_.changes.begin() + static_cast<std::ptrdiff_t>(committed), checkpoint_.changes.end(),
                      [](const logged_change_ref& a, const logged_change_ref& b) { return a.offset < b.offset; });
            checkpoint_.writes.clear();
            for (std::size_t i = committed; i < checkpoint_.changes.size(); ++i) {
                checkpoint_.writes.push_back(logged_write(checkpoint_.log, checkpoint_.changes[i].offset, 0));
            }
            record_failure(rc, committed, checkpoint_.writes.size());
        }
        checkpoint_.changes = {};
        lock.lock();
        checkpoint_state_ = rc == MDB_SUCCESS ? checkpoint_state::idle : checkpoint_state::failed;
        checkpoint_wake_.notify_all();
    }
}

}  // namespace progressd::store
