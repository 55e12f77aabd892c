#pragma once
// What the server asks of the thread that writes the stores behind, whichever store it writes to:
// LMDB (app/lmdb_backend.hpp) or PostgreSQL in cluster mode (app/cluster_backend.hpp). A session
// waits on it when a write's reply must wait for a commit (server/durable_gate.hpp), readiness
// and writes ask it whether persistence works, the webhook sender delivers only what it has made
// durable, metrics read its counters.
//
// Thread-safety: every member may be called from any thread; when_durable's callback runs on the
// persister's thread and must only hand off.

#include "common/duration_histogram.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>

namespace progressd::app {

// The counters of either persister; a field one of them does not have stays 0.
struct write_behind_stats {
    std::uint64_t flushes = 0;   // batches made durable
    std::uint64_t failures = 0;  // batches that failed
    std::uint64_t written = 0;   // records and other changes committed
    std::uint64_t log_frames = 0;  // LMDB: batches made durable by the write-ahead log
    std::uint64_t checkpoints = 0;  // LMDB: checkpoints of the log committed
    std::uint64_t last_flush_duration_us = 0;
    std::uint64_t last_checkpoint_duration_us = 0;  // LMDB
    duration_histogram flush_durations{};  // batches made durable
    std::int64_t last_success_ms = 0;  // wall clock; 0: none yet
    std::size_t map_size = 0;          // LMDB
    std::size_t used_bytes = 0;        // LMDB
    std::uint64_t durable_generation = 0;
    std::uint64_t fenced = 0;           // PostgreSQL: commits refused by the fence
    std::uint64_t dropped_changes = 0;  // PostgreSQL: changes of partitions lost before they were written
    std::size_t pending = 0;            // PostgreSQL: changes kept unwritten now
};

class write_behind {
public:
    using durable_callback = std::function<void(bool committed)>;

    virtual ~write_behind() = default;

    // Calls back once `generation` is committed (true) or its batch failed or lost it (false:
    // "not acknowledged, outcome unknown").
    virtual void when_durable(std::uint64_t generation, durable_callback callback) = 0;
    // Every write up to this generation is committed, except those whose waiters were told false.
    virtual std::uint64_t durable_generation() const = 0;
    virtual void request_flush() = 0;
    // Whether the latest batch committed: readiness.
    virtual bool healthy() const = 0;
    // Whether a write accepted now can be kept: LMDB and sync mode need a healthy persister;
    // PostgreSQL in snapshot mode buffers an outage up to a bound.
    virtual bool writable() const = 0;
    // Snapshot mode: whether the persister has fallen so far behind the writes that their replies
    // must wait for it (app::database::reply_waits_for; LMDB: store/persist/persister.hpp). Always
    // false for PostgreSQL, whose snapshot mode buffers up to a bound of its own (writable()).
    virtual bool falling_behind() const = 0;
    virtual write_behind_stats stats() const = 0;
    // For readiness and logs: "LMDB" or "PostgreSQL".
    virtual const char* store_name() const = 0;
};

}  // namespace progressd::app
