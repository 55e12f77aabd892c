#pragma once
// The persister: the one thread that writes LMDB.
//
// It collects the store's dirty records shard by shard (a shard lock is held only while its dirty
// list is copied out and encoded) and writes them in one transaction per batch (a large batch of
// records only in several, see below). In snapshot mode a batch starts every flush interval; in
// sync mode it also starts as soon as a request waits (when_durable), and every request arriving
// during a commit shares the next one: group commit.
//
// A large batch made only of records (a second of new records, a bulk import, the flush on stop)
// is written as several transactions of about writes_per_transaction changes each, in collection
// order, cut only between two users. Why: LMDB (without MDB_WRITEMAP) mallocs a page per dirty
// page of a write transaction and keeps every one of them on its free list for the life of the
// environment, so the largest transaction's pages stay in the heap for good. New records in
// random order dirty about one leaf page each: a second of them at 35 000 pings/s in one
// transaction pinned ~130 MiB (~90 B a record of a 2 M-record store); 4 096 changes pin at most
// ~20 MiB. Waiters are released only when the last of them has committed, so the generation
// contract is unchanged; a crash between two of them loses only changes not yet committed, a
// subset of what the batch would have lost. A user written again while it was being collected
// comes twice in the order and may be cut apart: a crash between keeps the older value of some of
// its records, which are changes of the last interval, not yet promised. A batch that also changes an attached
// source (catalog, enrolments, outbox…) stays one transaction: an outbox event must never become
// durable without the record that caused it, or the other way round.
// After a large batch the persister also gives its scratch memory back (pending_'s capacity and
// the arena's chunks, then malloc_trim), since glibc would otherwise keep it resident. Encoded keys
// and values live in that arena (store/byte_arena.hpp), not in two strings per change.
//
// A batch that fails to commit is kept and retried with backoff (100 ms doubling to 5 s), newer
// changes appended behind it; until a commit succeeds, healthy() is false, so readiness is 503 and
// writes are refused rather than acknowledged and then lost. When a later transaction of a split
// batch fails, the ones before it stay committed and only the rest is kept for the retry; its
// waiters are failed all the same, as their generation is not whole on disk. MDB_MAP_FULL grows
// the map (doubling, up to max_map_size when set) and retries the failed transaction at once.
//
// Sync mode with a write-ahead log (store/persist/write_ahead_log.hpp): a batch started because requests
// wait is appended to the log as one frame and fdatasync'd, which releases its waiters; the
// changes stay in pending_ and reach LMDB in a checkpoint every flush interval (or sooner when
// the log passes max_log_bytes, a batch has over 32 768 changes, or the server stops), written by
// a thread of their own. Until a checkpoint succeeds after a failed frame or a failed commit,
// every batch is a checkpoint on the persister thread: the log only ever extends a state LMDB can
// restore.
//
// Why a thread: a checkpoint of a second of pings takes 50-250 ms, and sync writes used to wait
// that long once a second for the persister to log them (p99.9 ~50-80 ms, wrk's p99 100-200 ms:
// docs/durability.md). Now a checkpoint first logs its own batch like any other, then hands every
// change since the previous checkpoint, all in the log's active file, to the checkpoint thread
// and turns the log to its other file (store/persist/write_ahead_log.hpp), and the persister goes on
// logging while LMDB is written. Its transactions are cut as above (every checkpoint_writes_per_transaction changes) whatever sources it changes:
// every change in it is in the log, so a crash between two of them replays to the whole of it
// (the marker is in the last). A checkpoint due while the previous one still runs is tried again
// every few milliseconds, frames going on meanwhile; after a failed one the persister takes its changes back and commits them
// itself, with the backoff above. On stop, the persister waits for the checkpoint thread and
// writes the rest itself.
//
// When it falls behind (snapshot mode): a write is acknowledged before it is on disk, on the
// promise that its batch begins within an interval. On a saturated core the persister (nice 10,
// server/thread_priority.hpp) gets too little CPU to keep that: pinned to one core beside an I/O
// thread answering 70 000 new records a second, it got ~5 % of it and its batches fell 20 s
// behind. falling_behind() says when the newest batch wholly on disk began more than two
// intervals ago; replies to writes then wait for the batch being written
// (app::database::reply_waits_for), and that waiting starts no batch early (small batches would
// each pay a commit's syncs). With its writes waiting, an I/O thread has less to do, the
// persister gets the CPU, and the lag stays bounded: the scheduler cannot be asked to favour the
// persister only when late (lowering a nice value again needs a privilege), so the writes that
// would outrun it wait instead.
//
// Besides the records, the persister writes the changes of attached dirty_sources (the catalog,
// the enrolments) into their own named databases, in the same batches and transactions, so a
// sync-mode waiter is released only once every change of its generation has committed.
//
// Thread-safety: when_durable, request_flush, healthy and stats may be called from any thread.
// attach, start and stop belong to main.

#include "common/duration_histogram.hpp"
#include "common/log.hpp"
#include "store/byte_arena.hpp"
#include "store/dirty_source.hpp"
#include "store/persist/durability.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/write_ahead_log.hpp"
#include "store/progress_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace progressd::store {

struct persister_options {
    durability_mode mode = durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    std::size_t max_map_size = 0;  // 0: grow without limit
    // Changes per LMDB transaction when a records-only batch is split (see above); 0: never
    // split. A transaction may exceed it by the rest of one user's records.
    std::size_t writes_per_transaction = 4096;
    // The same for a sync-mode checkpoint (a whole interval of logged changes, on its own thread):
    // cut finer, each transaction's page copies and two syncs add up, so it keeps its own bound.
    std::size_t checkpoint_writes_per_transaction = 32768;
    // With a write-ahead log: a checkpoint is due once the log holds this much.
    std::size_t max_log_bytes = std::size_t{64} << 20;
};

struct persister_stats {
    std::uint64_t flushes = 0;  // committed batches
    std::uint64_t failures = 0;
    std::uint64_t records_written = 0;
    std::uint64_t log_frames = 0;  // sync batches made durable by the write-ahead log
    std::uint64_t last_flush_duration_us = 0;
    duration_histogram flush_durations{};  // committed batches
    std::int64_t last_success_ms = 0;  // wall clock; 0: none yet
    std::size_t map_size = 0;
    std::size_t used_bytes = 0;
    std::uint64_t durable_generation = 0;
};

class persister {
public:
    // Called with true once the write is committed, false when its batch failed. Runs on the
    // persister thread (or the caller's, when already durable): it must only hand off.
    using durable_callback = std::function<void(bool committed)>;

    persister(progress_store& store, lmdb_environment& environment, persister_options options, const logger& log);
    ~persister();
    persister(const persister&) = delete;
    persister& operator=(const persister&) = delete;

    // Before start(): the source's changes go to `database`.
    void attach(dirty_source& source, MDB_dbi database);
    // Before start(), sync mode only: batches that requests wait for go to `log` (see above).
    void use_write_ahead_log(write_ahead_log& log) { wal_ = &log; }
    void start();
    // Writes everything still dirty, fails any remaining waiters, joins its threads. Returns false
    // when some changes could not be written (they are logged): the process should exit non-zero.
    bool stop();

    void when_durable(std::uint64_t generation, durable_callback callback);
    void request_flush();

    bool healthy() const { return healthy_.load(std::memory_order_acquire); }
    // Every write up to this generation is on disk (in sync mode, in the log or in LMDB).
    std::uint64_t durable_generation() const { return durable_generation_.load(std::memory_order_acquire); }
    // Snapshot mode: the newest batch wholly on disk began more than two flush intervals ago
    // (see above). Always false in sync mode, where every write waits anyway.
    bool falling_behind() const;
    persister_stats stats() const;

private:
    // One change, encoded (the bytes live in arena_); applied in order, so a later entry for a
    // key supersedes an earlier one.
    struct pending_write {
        MDB_dbi database = 0;
        std::uint32_t order = 0;  // collection order: sorting by key keeps it among equal keys
        std::string_view key;
        std::optional<std::string_view> value;  // nullopt: delete
    };
    struct waiter {
        std::uint64_t generation;
        durable_callback callback;
    };

    // A checkpoint the checkpoint thread writes while the persister logs on (sync mode with a log).
    struct checkpoint_batch {
        std::vector<pending_write> writes;
        byte_arena arena;
        std::uint64_t covers = 0;  // the newest frame whose changes it holds
    };
    enum class checkpoint_state { idle, running, failed };
    enum class checkpoint_start { handed_over, busy, failed };
    enum class batch_kind { frame, checkpoint, final_checkpoint };

    void run();
    // False when a checkpoint was due but another one was still being written.
    bool flush(batch_kind kind);
    void collect(std::uint64_t generation);
    void add_pending(MDB_dbi database, std::string_view key, std::optional<std::string_view> value);
    bool log_collected(std::size_t from);
    void commit_pending();
    // Writes writes[committed, end) in transactions of about `cut` changes (0: one), cut between
    // users; the last one marks frames up to `covers` as checkpointed, when set. Advances
    // `committed` past each committed transaction; returns the last LMDB status.
    int write_transactions(const std::vector<pending_write>& writes, std::size_t cut,
                           std::optional<std::uint64_t> covers, std::size_t& committed);
    int write_pending(const std::vector<pending_write>& writes, std::size_t begin, std::size_t end,
                      std::optional<std::uint64_t> covers);
    // Puts writes[begin, end) into the open transaction in their order; a change followed at once
    // by one to the same key (as sort_by_key leaves them) is skipped.
    static int put_in_order(MDB_txn* txn, const std::vector<pending_write>& writes, std::size_t begin, std::size_t end);
    static std::size_t transaction_end(const std::vector<pending_write>& writes, std::size_t begin, std::size_t cut);
    // By database and key, changes to one key in collection order.
    static void sort_by_key(std::vector<pending_write>& writes);
    void release_scratch(std::vector<pending_write>& writes, byte_arena& arena);
    bool grow_map();
    // Whether a waiter starts a batch at once rather than at the interval (see falling_behind).
    bool waiters_start_batches() const;
    void finish_waiters(std::uint64_t generation, bool committed);
    // Everything up to `generation`, collected from `began` on, is on disk: its waiters are released.
    void batch_durable(std::uint64_t generation, std::chrono::steady_clock::time_point began);
    void record_commit(std::size_t written, std::chrono::microseconds took);
    void record_failure(int rc, std::size_t committed, std::size_t left);
    // The checkpoint thread: writes each batch handed over, one at a time.
    void run_checkpoints();
    // Hands pending_ (all in the log) to the checkpoint thread and turns the log to its other file.
    // Busy while the previous one runs; failed when it failed (settle_checkpoint takes it back).
    checkpoint_start start_checkpoint();
    // Waits out a running checkpoint; takes a failed one's changes back to the front of pending_.
    void settle_checkpoint();

    progress_store& store_;
    lmdb_environment& environment_;
    const persister_options options_;
    const logger& log_;

    struct attached_source {
        dirty_source* source;
        MDB_dbi database;
    };
    std::vector<attached_source> sources_;

    std::thread thread_;
    mutable std::mutex mutex_;  // guards waiters_, stopping_, flush_requested_, stats_
    std::condition_variable wake_;
    std::vector<waiter> waiters_;
    bool stopping_ = false;
    bool flush_requested_ = false;
    persister_stats stats_;

    // Persister thread only.
    std::vector<pending_write> pending_;
    byte_arena arena_;
    std::uint32_t next_order_ = 0;
    std::string key_scratch_;  // encoding buffers, reused so a record costs no allocation
    std::string value_scratch_;
    std::uint64_t pending_generation_ = 0;  // highest generation whose writes are all in pending_
    std::chrono::steady_clock::time_point pending_began_{};  // when its collection began
    std::chrono::milliseconds backoff_{0};
    write_ahead_log* wal_ = nullptr;
    std::size_t logged_ = 0;  // pending_[0, logged_) is in the write-ahead log
    bool log_failing_ = false;
    byte_arena taken_back_;  // a failed checkpoint's bytes, viewed by pending_ until a commit succeeds

    std::thread checkpoint_thread_;
    std::mutex checkpoint_mutex_;  // guards the three below
    std::condition_variable checkpoint_wake_;
    checkpoint_state checkpoint_state_ = checkpoint_state::idle;
    bool checkpoint_stop_ = false;
    checkpoint_batch checkpoint_;  // the checkpoint thread's while running

    std::atomic<bool> healthy_{true};
    bool all_flushed_on_stop_ = true;
    std::atomic<std::uint64_t> durable_generation_{0};
    // When the collection of the newest batch wholly on disk began (steady-clock ticks): every
    // write acknowledged before then is on disk. Read by falling_behind() on the I/O threads.
    // Until the first batch: when the persister was made, and again when it started.
    std::atomic<std::chrono::steady_clock::rep> durable_through_{0};
};

}  // namespace progressd::store
