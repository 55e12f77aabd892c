#pragma once
// The persister: the one thread that writes LMDB and the write-ahead log.
//
// It collects the store's dirty records shard by shard (a shard lock is held only while its dirty
// list is walked and encoded) into a batch. In snapshot mode a batch starts every flush
// interval; in sync mode it also starts as soon as a request waits (when_durable), and every
// request arriving during a commit shares the next one: group commit. With a write-ahead log (the
// embedded store always has one), a batch is appended to the log as one frame and fdatasync'd,
// which makes it durable, and LMDB gets it later, in a checkpoint (below). Without one, and
// whenever the log cannot take a batch, the batch is committed to LMDB on this thread.
//
// A batch bound for the log is encoded straight into its frame (log_batch), which the log writes
// a piece at a time between shards: held as pending writes, a second of new records was ~180
// bytes a change of memory (12-16 MiB at 70 000 new records a second). Only its keys are kept
// (~56 bytes a change), and the attached sources' changes. If the frame fails, or the batch
// grows past a frame's limit, the store has already cleared the dirty flags of what it took, so
// each kept key goes into pending_ as the store holds it now (a removal where it holds nothing)
// and is committed to LMDB here, as below.
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
// A batch's scratch memory for LMDB (pending_'s capacity, the arena's chunks) is kept for the next batch
// while batches still fill a quarter of it, and freed after one that does not
// (store/scratch_reuse.hpp): a busy server allocates nothing a batch, and an idle one gives it
// back. Encoded keys and values live in that arena (store/byte_arena.hpp), not in two strings per
// change.
//
// A batch that fails to commit is kept and retried with backoff (100 ms doubling to 5 s), newer
// changes appended behind it; until a commit succeeds, healthy() is false, so readiness is 503 and
// writes are refused rather than acknowledged and then lost. When a later transaction of a split
// batch fails, the ones before it stay committed and only the rest is kept for the retry; its
// waiters are failed all the same, as their generation is not whole on disk. MDB_MAP_FULL grows
// the map (doubling, up to max_map_size when set) and retries the failed transaction at once.
//
// Checkpoints (store/persist/write_ahead_log.hpp): every checkpoint_interval, or once the log holds
// checkpoint_log_bytes, or when asked (request_flush: a snapshot, the server stopping), the
// persister sets the log's active file aside (its frames are everything logged since the previous
// checkpoint), turns the log to its other file and goes on logging, while a thread of its own maps
// the file set aside, reads its changes back, sorts them by key and writes them to LMDB; the last
// transaction records the newest frame it covers. Why the log for every batch, and not LMDB: a new
// record in a large store dirties a leaf page of its own, and an LMDB commit writes each dirty
// page whole and syncs twice, so a second of new records wrote a page per record; a frame is the
// records' bytes, appended, with one sync. A checkpoint of thirty seconds writes each leaf page
// once however many of its records changed, in key order (docs/durability.md, "The write-ahead
// log"). Read back from the file rather than kept in memory between checkpoints: thirty seconds
// of new records would hold ~130 bytes each in the heap. The checkpoint holds, for each change,
// its offset in the mapping and the first 16 bytes of its key (24 bytes; a 48-byte pending_write
// for every change of a 32 MiB log was 16-19 MiB), sorts by those bytes, reading the mapping only
// when they tie (comparing keys in the mapping at random was most of a checkpoint's CPU), and
// makes pending writes of one transaction's changes at a time.
//
// Why a thread: a checkpoint takes 50 ms to seconds, and writes waiting on the persister would
// wait that long. Its transactions are cut every writes_per_transaction changes
// whatever sources they change: every change is in the log, so a crash between two of them
// replays to the whole (the marker is in the last). A checkpoint due while the previous one still
// runs is tried again with the next batch, frames going on meanwhile; past twice
// checkpoint_log_bytes the persister waits for the running checkpoint and hands the full file to
// the next one (make_room_in_log). The checkpoint thread runs at nice 19: at nice 10 its slices of
// a core the I/O thread kept busy (a tenth of it, in slices of 3-4 ms) put p99 at ~5 ms; at 19
// it gets the idle moments, and when the log is full the writes wait for it instead.
//
// When the persister commits to LMDB itself while the log holds frames (the log failed to take a
// frame, a batch too large for one, a failed checkpoint, the stop), it first takes back every
// change LMDB lacks: a failed checkpoint's, then the active file's frames read back, then those
// never logged, in that order, so that its commit covers every frame. Until that commit succeeds
// no frame is written: the log only ever extends a state LMDB can restore.
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
#include "common/mapped_file.hpp"
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
    // Changes per LMDB transaction when a records-only batch is split, and for every checkpoint
    // (see above); 0: never split. A transaction may exceed it by the rest of one user's records.
    // Checkpoints cut at 16 384 held 20 more bytes a record of a 1.8 M-record store in the heap.
    std::size_t writes_per_transaction = 4096;
    // With a write-ahead log: a checkpoint is due this long after the previous one began, or once
    // the log holds checkpoint_log_bytes. Past twice that, batches stop going to the log and are
    // committed to LMDB by the persister itself (after the running checkpoint).
    std::chrono::milliseconds checkpoint_interval{30000};
    std::size_t checkpoint_log_bytes = std::size_t{32} << 20;
    // A batch of more changes than this (a bulk import) goes to LMDB at once rather than into a
    // frame: sorted into LMDB it fills pages as well as a checkpoint would, without being written
    // twice, and a frame's size (32 bits) stays far from its limit.
    std::size_t max_frame_changes = 262144;
};

struct persister_stats {
    std::uint64_t flushes = 0;  // batches made durable: log frames and LMDB commits of this thread
    std::uint64_t failures = 0;
    std::uint64_t records_written = 0;  // to LMDB
    std::uint64_t log_frames = 0;  // the batches made durable by the write-ahead log
    std::uint64_t checkpoints = 0;  // committed to LMDB by the checkpoint thread
    std::uint64_t last_flush_duration_us = 0;
    std::uint64_t last_checkpoint_duration_us = 0;
    duration_histogram flush_durations{};  // batches made durable
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
    // Before start(): batches go to `log` as frames, and to LMDB in checkpoints (see above).
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

    // A change of a checkpoint: where it is in the mapped log, and the first 16 bytes of its key
    // (zero-padded, big-endian), which order most pairs of changes without reading the mapping.
    struct logged_change_ref {
        std::uint64_t key_head = 0;
        std::uint64_t key_tail = 0;
        std::size_t offset = 0;
    };
    // A checkpoint the checkpoint thread writes while the persister logs on: the frames of the
    // log file set aside, read back as references to their changes and sorted by key, then
    // written a transaction's worth at a time through `writes` (which view the mapping). After a
    // failure, `writes` holds every change not committed.
    struct checkpoint_batch {
        mapped_file log;
        std::vector<logged_change_ref> changes;
        std::vector<pending_write> writes;
        std::uint64_t covers = 0;  // the newest frame whose changes it holds
    };
    enum class checkpoint_state { idle, running, failed };
    enum class checkpoint_start { handed_over, busy, failed };
    enum class batch_kind { frame, checkpoint, final_checkpoint };

    void run();
    // True when LMDB has, or a checkpoint now being written will have, every change logged so far.
    bool flush(batch_kind kind);
    // Collects the batch into pending_: the store's dirty records, then the sources' changes.
    void collect(std::uint64_t generation);
    void collect_sources(std::uint64_t generation);
    // Encodes the change into key_scratch_ and value_scratch_; returns a view of the value, or
    // nullopt for a removal.
    std::optional<std::string_view> encode_change(std::string_view user_id, const record_key& key,
                                                  const progress_record* record);
    void add_pending(MDB_dbi database, std::string_view key, std::optional<std::string_view> value);
    // Whether the next batch goes to the log: there is one, it has room, and nothing older is
    // pending (LMDB and the log hold every change before the batch).
    bool log_takes_batch() const;
    // Collects the batch into one log frame and writes it. True: the batch is durable. False
    // (the frame failed, or the batch was too large for one): the batch is in pending_ instead,
    // for LMDB.
    bool log_batch(std::uint64_t generation);
    // When the active file holds twice checkpoint_log_bytes: waits for the running checkpoint and
    // hands the file to the next one. Meanwhile no batch is logged, and snapshot-mode writes wait
    // as when the persister falls behind: the checkpoint thread, at the lowest priority, then
    // gets the CPU it needs.
    void make_room_in_log();
    void commit_pending();
    // Puts the changes of the frames in `log` into `changes`, in log order. False, with an error
    // logged, when it does not hold every frame up to `covers`.
    bool read_back(const mapped_file& log, std::uint64_t covers, std::vector<logged_change_ref>& changes) const;
    // The change read_back found at `offset` of `log`, as a pending write (its bytes stay in the mapping).
    pending_write logged_write(const mapped_file& log, std::size_t offset, std::uint32_t order) const;
    // Sorts checkpoint_.changes by key and writes them in transactions of writes_per_transaction,
    // cut between users; the last marks the frames up to checkpoint_.covers as checkpointed.
    // Advances `committed` past each committed transaction's changes; returns the last LMDB status.
    int write_checkpoint(std::size_t& committed);
    // Before the persister commits to LMDB itself with a log: the active file's frames go into
    // pending_ at `at`, behind any failed checkpoint's changes and before those never logged, so
    // that the commit covers every frame. False when they cannot be read (nothing is committed).
    bool take_back_log(std::size_t at);
    // Writes writes[committed, end) in transactions of about `cut` changes (0: one), cut between
    // users; the last one marks frames up to `covers` as checkpointed, when set. Advances
    // `committed` past each committed transaction; returns the last LMDB status.
    int write_transactions(const std::vector<pending_write>& writes, std::size_t cut,
                           std::optional<std::uint64_t> covers, std::size_t& committed);
    // One transaction; synced in full (`last`: it makes the batch durable) or data only.
    int write_pending(const std::vector<pending_write>& writes, std::size_t begin, std::size_t end,
                      std::optional<std::uint64_t> covers, bool last);
    // Puts writes[begin, end) into the open transaction in their order; a change followed at once
    // by one to the same key (as sort_by_key leaves them) is skipped.
    static int put_in_order(MDB_txn* txn, const std::vector<pending_write>& writes, std::size_t begin, std::size_t end);
    static std::size_t transaction_end(const std::vector<pending_write>& writes, std::size_t begin, std::size_t cut);
    // The user a records key belongs to: its bytes up to the first '\0' (store/codec/record_codec.hpp).
    static std::string_view user_of(std::string_view key) { return key.substr(0, key.find('\0')); }
    // By database and key, changes to one key in collection order.
    static void sort_by_key(std::vector<pending_write>& writes);
    void release_scratch(std::vector<pending_write>& writes, byte_arena& arena);
    bool grow_map();
    // Whether a waiter starts a batch at once rather than at the interval (see falling_behind).
    bool waiters_start_batches() const;
    void finish_waiters(std::uint64_t generation, bool committed);
    // Everything up to `generation`, collected from `began` on, is on disk: its waiters are released.
    void batch_durable(std::uint64_t generation, std::chrono::steady_clock::time_point began);
    // A batch made durable: `written` changes committed to LMDB (0: a log frame), or a checkpoint.
    void record_commit(std::size_t written, std::chrono::microseconds took);
    void record_frame(std::chrono::microseconds took);
    void record_checkpoint(std::size_t written, std::chrono::microseconds took);
    void record_success(std::chrono::microseconds took);  // under mutex_
    void record_failure(int rc, std::size_t committed, std::size_t left);
    // After a failed batch: the next try waits twice as long as the last (100 ms to 5 s).
    void back_off();
    // The checkpoint thread: writes each batch handed over, one at a time.
    void run_checkpoints();
    // Hands pending_ (all in the log) to the checkpoint thread and turns the log to its other file.
    // Busy while the previous one runs; failed when it failed (settle_checkpoint takes it back).
    checkpoint_start start_checkpoint();
    // Waits out a running checkpoint; takes a failed one's changes back to the front of pending_
    // and returns how many.
    std::size_t settle_checkpoint();

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
    // The keys of the frame being logged, for pending_ should the frame fail (the store has
    // cleared their dirty flags and forgotten its removals); their bytes are in arena_.
    std::vector<std::string_view> frame_keys_;
    byte_arena arena_;
    std::uint32_t next_order_ = 0;
    std::string key_scratch_;  // encoding buffers, reused so a record costs no allocation
    std::string value_scratch_;
    std::uint64_t pending_generation_ = 0;  // highest generation whose writes are all in pending_
    std::chrono::steady_clock::time_point pending_began_{};  // when its collection began
    std::chrono::milliseconds backoff_{0};
    write_ahead_log* wal_ = nullptr;
    bool log_failing_ = false;
    bool log_unmappable_ = false;  // the active file could not be mapped for a checkpoint
    // Log files read back into pending_ (a failed checkpoint's, the active one's), until a commit
    // succeeds.
    std::vector<mapped_file> taken_back_;
    bool active_log_taken_back_ = false;

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
