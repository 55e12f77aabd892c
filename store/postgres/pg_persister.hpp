#pragma once
// The write-behind persister of cluster mode: the one thread that writes a node's changes to
// PostgreSQL, with its own connection. The PostgreSQL counterpart of store/persist/persister.hpp,
// with the same contract towards the application (attach, start, stop, when_durable,
// request_flush, healthy, stats), so the server can hold either.
//
// A batch is what the LMDB persister's would be: the progress store's dirty records and every
// attached dirty_source's changes (store/postgres/write_batch.hpp), written by apply_batch and
// committed by fenced_commit, claiming each partition written at the epoch the claims provider
// (the lease keeper's claims, as the node publishes them) gives. In snapshot mode a batch starts
// every flush interval; in sync mode also as soon as someone waits (when_durable), and everything
// arriving while a batch commits shares the next transaction: group commit.
//
// Partitions (docs/cluster.md, "Write-behind"):
//   - a change is committed only under the claim it was collected under (pending_changes.hpp);
//     changes of a partition that is not claimed are never written unfenced: held back when this
//     persister never held the partition (committed at its first claim), dropped when it did
//     (the tenure ended; the new owner reloads from PostgreSQL);
//   - a commit refused by the fence is not retried whole: the persister asks PostgreSQL which
//     claims were lost (lost_claims.hpp), drops those partitions' changes, and commits the rest at
//     once. Dropped changes are counted (stats), logged (`write_behind_dropped`), and their sync
//     waiters get false.
//
// Waiters: when_durable(generation, callback) is released by the commit of the batch that holds
// its generation. A partition-less waiter gets false when anything of its batch (or of the one
// before, which can hold writes of its generation) was dropped or held back; one that names its
// write's partition gets false only when that partition's were. False means "not acknowledged,
// outcome unknown" as with LMDB: it is never true for a write that was not committed.
//
// Failures: a batch that fails (PostgreSQL unreachable, a statement or the commit refused) is
// kept, newer changes merged into it (the latest change to a key wins), and retried with backoff
// (100 ms doubling to 5 s) on a new connection when the old one broke. Until a commit succeeds,
// healthy() is false and waiters of the failed batches get false (their changes stay pending and
// commit on recovery); a waiter arriving during the backoff is answered at the next try (at most
// 5 s later). What is buffered is bounded by max_pending changes (distinct keys):
// over_bound() turns true at the bound, for the server to refuse snapshot writes (503) until the
// buffer drains; nothing is ever discarded for the bound.
//
// Thread-safety: when_durable, request_flush, flush_partitions, healthy, over_bound and stats may
// be called from any thread; the claims provider is called on the persister thread, so it must be
// safe to call from there. attach, start and stop belong to main.

#include "common/duration_histogram.hpp"
#include "common/log.hpp"
#include "store/dirty_source.hpp"
#include "store/persist/durability.hpp"  // the enum only: nothing of LMDB
#include "store/postgres/connection.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/pending_changes.hpp"
#include "store/postgres/write_batch.hpp"
#include "store/progress_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace progressd::store {

struct pg_persister_options {
    durability_mode mode = durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    // Changes kept unwritten (distinct keys) at which over_bound() turns true.
    std::size_t max_pending = 1'000'000;
    // How long stop() keeps trying to write what is left.
    std::chrono::milliseconds stop_timeout{5000};
};

struct pg_persister_stats {
    std::uint64_t flushes = 0;          // committed batches
    std::uint64_t failures = 0;         // batches that failed (PostgreSQL unreachable, refused)
    std::uint64_t fenced = 0;           // commits refused by the fence
    std::uint64_t reconnects = 0;       // connections opened after the first
    std::uint64_t changes_written = 0;  // records and source changes committed
    std::uint64_t dropped_changes = 0;  // changes of lost partitions, never written
    std::uint64_t dropped_partitions = 0;  // partitions whose pending changes were dropped (each time)
    std::size_t pending = 0;            // changes kept unwritten now, held back ones included
    std::size_t held_back = 0;          // of those, changes of partitions never claimed
    std::uint64_t last_flush_duration_us = 0;
    duration_histogram flush_durations{};  // committed batches
    std::int64_t last_success_ms = 0;   // wall clock; 0: none yet
    std::uint64_t durable_generation = 0;
};

class pg_persister {
public:
    using durable_callback = std::function<void(bool committed)>;  // on the persister thread: hand off only
    using claims_provider = std::function<std::vector<partition_claim>()>;

    pg_persister(progress_store& store, std::string conninfo, std::string node_id, claims_provider claims,
                 pg_persister_options options, const logger& log);
    ~pg_persister();
    pg_persister(const pg_persister&) = delete;
    pg_persister& operator=(const pg_persister&) = delete;

    // Before start(): the source's changes go to `table`.
    void attach(dirty_source& source, batch_table table) { sources_.push_back({&source, table}); }
    void start();
    // Writes what is left (for up to stop_timeout), fails the remaining waiters, joins the
    // thread. False when something was left unwritten (logged `unflushed_on_stop`).
    bool stop();

    void when_durable(std::uint64_t generation, durable_callback callback);
    // The same for a write of a user in `partition`: false only when that partition's changes were
    // dropped or held back, or its batch failed.
    void when_durable(std::uint64_t generation, std::uint32_t partition, durable_callback callback);
    void request_flush();
    // The lease keeper's handover flush (partition_leases.hpp): a batch now, these partitions
    // claimed at these epochs; true when nothing of them is left unwritten. The caller must have
    // stopped taking writes for them. Waits at most `timeout` (then false).
    bool flush_partitions(std::span<const partition_claim> claims,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

    bool healthy() const { return healthy_.load(std::memory_order_acquire); }
    bool over_bound() const { return over_bound_.load(std::memory_order_acquire); }
    // The generation of the latest committed batch: every write up to it is in PostgreSQL, except
    // the changes dropped or held back (whose waiters were told false).
    std::uint64_t durable_generation() const { return durable_generation_.load(std::memory_order_acquire); }
    pg_persister_stats stats() const;
    // The PostgreSQL backend process of the persister's current connection (0 before the first):
    // the notices its own commits send carry it, so the node's shared-state listener can tell them
    // from other nodes' (shared_state_listener.hpp).
    int backend_pid() const { return backend_pid_.load(std::memory_order_acquire); }

private:
    struct waiter {
        std::uint64_t generation;
        std::optional<std::uint32_t> partition;
        durable_callback callback;
    };
    struct flush_request {
        std::vector<partition_claim> claims;
        std::promise<bool> done;
    };
    // A batch that dropped or held back changes, kept for its waiters and late ones.
    struct lossy_batch {
        std::uint64_t generation;
        std::vector<std::uint32_t> partitions;
    };
    struct attached_source {
        dirty_source* source;
        batch_table table;
    };

    void enqueue_or_answer(waiter w);
    void run();
    void run_until_stopped();
    void finish_on_stop();
    // One batch: collect, commit; answers the waiters up to its generation and the requests.
    void flush_once(std::vector<std::shared_ptr<flush_request>>& requests);
    void collect(change_report& report);
    // Commits what pending_ allows; true when nothing committable is left.
    bool commit(change_report& report);
    bool write(std::vector<partition_claim>& lost, pg_error& error);
    bool probe();
    void failed(const pg_error& error);
    void succeeded(std::size_t written, std::chrono::microseconds took);
    void report_losses(const change_report& report, std::uint64_t generation);
    void finish_waiters(std::uint64_t generation, bool committed);
    bool lost_for(std::uint64_t generation, const std::optional<std::uint32_t>& partition, std::uint64_t through) const;
    void publish_sizes();

    progress_store& store_;
    const std::string conninfo_;
    const std::string node_id_;
    const claims_provider claims_;
    const pg_persister_options options_;
    const logger& log_;
    std::vector<attached_source> sources_;

    std::thread thread_;
    mutable std::mutex mutex_;  // guards everything down to stats_
    std::condition_variable wake_;
    std::vector<waiter> waiters_;
    std::vector<std::shared_ptr<flush_request>> requests_;
    std::deque<lossy_batch> lossy_;  // the latest few
    bool stopping_ = false;
    bool flush_requested_ = false;
    pg_persister_stats stats_;

    // Persister thread only.
    std::optional<connection> conn_;
    bool connected_once_ = false;
    pending_changes pending_;
    write_batch batch_;
    std::vector<partition_claim> batch_claims_;
    std::chrono::milliseconds backoff_{0};
    bool all_flushed_on_stop_ = true;

    std::atomic<bool> healthy_{true};
    std::atomic<bool> over_bound_{false};
    std::atomic<std::uint64_t> durable_generation_{0};
    std::atomic<int> backend_pid_{0};
};

}  // namespace progressd::store
