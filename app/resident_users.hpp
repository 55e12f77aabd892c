#pragma once
// Which users a cluster node holds in memory (docs/cluster.md). The stores are a cache of the
// users of the partitions the node owns: a user comes in on its first request, all of its state
// (records, enrolments, assessment states) read from PostgreSQL in one statement
// (store/postgres/user_state_rows.hpp) and installed clean; it leaves when the node passes its
// cache bound (the coldest users whose every change is committed) or gives its partition up.
//
// The protocol a request follows: touch(user) right before it uses the stores, without
// suspending in between; when that is false, load(user, done) and use the stores once done says
// true. The eviction never takes a user touched within min_idle (and decides under the lock
// touch takes), so a request that touched it finds it in memory while it runs.
//
// Eviction is safe only when a reload would read what memory holds: every change of the user
// committed (nothing dirty in a store, its latest write's generation ≤ the persister's durable
// generation: the stores' evict() decides). A user whose changes are not all committed stays,
// however cold. drop_partitions ignores that: a released partition's changes were flushed by the
// handover, a lost one's are refused by the fence anyway.
//
// A load in flight when its user's partition is dropped does not install what it read: each
// partition has an epoch that drop_partitions bumps, and a load installs only under the epoch it
// started under (its waiters get false).
//
// Threads: `loaders` loader threads, each with its own PostgreSQL connection (reopened with
// backoff after a failure; while it is down a load fails at once), and one janitor thread that
// evicts every janitor_period while the estimated bytes exceed max_bytes.
//
// Thread-safety: touch, load, drop_partitions, stats and resident may be called from any thread;
// touch and load never block on PostgreSQL (touch takes one shard's mutex, load a queue's).
// `done` runs once on a loader thread (or on the caller's, from stop()): hand off only, never
// block. start and stop belong to the owner (main); stop answers every waiting load false.

#include "common/log.hpp"
#include "store/assessments.hpp"
#include "store/enrolments.hpp"
#include "store/progress_store.hpp"
#include "store/sharding.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace progressd::store {
struct loaded_user_state;
}  // namespace progressd::store

namespace progressd::app {

struct resident_options {
    std::size_t max_bytes = 0;  // --cache-max-bytes: the stores' estimate of resident users; 0: no bound
    std::size_t loaders = 2;    // loader threads, each with its own connection
    std::chrono::milliseconds janitor_period{1000};
    // A user touched more recently than this is never evicted (see the protocol above).
    std::chrono::milliseconds min_idle{1000};
    std::chrono::milliseconds max_backoff{5000};  // between attempts to reopen a failed connection
    // Tests only: runs on the loader thread between a load's query and its installation.
    std::function<void(std::string_view user_id)> before_install{};
};

struct resident_stats {
    std::size_t users = 0;            // resident now
    std::size_t bytes = 0;            // their estimated memory, as of their load or the last janitor pass
    std::uint64_t loads = 0;          // queries run (one per load, however many waited for it)
    std::uint64_t load_failures = 0;  // loads answered false: PostgreSQL unreachable or refusing
    std::uint64_t stale_loads = 0;    // loads not installed: their partition was dropped meanwhile
    std::uint64_t shared_waits = 0;   // load calls that joined a load under way
    std::uint64_t evictions = 0;      // users evicted for the bound
    std::uint64_t drops = 0;          // users dropped with their partition
};

class resident_users {
public:
    using durable_generation_fn = std::function<std::uint64_t()>;

    // `durable_generation`: the persister's (pg_persister::durable_generation), called from the
    // janitor thread.
    resident_users(store::progress_store& records, store::enrolment_store& enrolments,
                   store::assessment_store& assessments, std::string conninfo, resident_options options,
                   durable_generation_fn durable_generation, const logger& log);
    ~resident_users();
    resident_users(const resident_users&) = delete;
    resident_users& operator=(const resident_users&) = delete;

    void start();
    void stop();

    // True when the user is in memory, marking it recently used; false otherwise. Cheap: one
    // hash lookup under one shard's mutex.
    bool touch(std::string_view user_id) const;
    // Whether the user is in memory, without marking it.
    bool resident(std::string_view user_id) const;
    // Brings the user into memory, or joins the load under way: one query however many wait.
    // `done(true)` once it is resident (at once, on a loader thread, when it already was).
    void load(std::string_view user_id, std::function<void(bool ok)> done);
    // Every resident user of these partitions leaves memory, its pending changes forgotten.
    void drop_partitions(std::span<const std::uint32_t> partitions);

    resident_stats stats() const;

private:
    struct entry {
        std::uint32_t partition = 0;
        std::size_t bytes = 0;
        mutable std::int64_t touched_ms = 0;  // steady clock
    };
    static constexpr std::size_t shard_count = 64;
    struct alignas(64) shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, entry, store::string_hash, std::equal_to<>> users;
    };
    struct pending_load {
        std::uint64_t epoch = 0;  // of the user's partition when the load started
        std::vector<std::function<void(bool)>> waiters{};
    };
    struct loader;

    shard& shard_for(std::string_view user_id) const;
    void run_loader();
    void load_one(loader& self, const std::string& user_id);
    bool install(const std::string& user_id, std::uint64_t epoch, store::loaded_user_state& state);
    void finish(const std::string& user_id, bool ok);
    void run_janitor();
    void evict_coldest();
    bool evict(const std::string& user_id, std::int64_t idle_before);
    std::size_t estimate_bytes(std::string_view user_id) const;

    store::progress_store& records_;
    store::enrolment_store& enrolments_;
    store::assessment_store& assessments_;
    const std::string conninfo_;
    const resident_options options_;
    const durable_generation_fn durable_generation_;
    const logger& log_;

    std::unique_ptr<shard[]> shards_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> epochs_;  // per partition
    std::atomic<std::size_t> bytes_{0};
    std::atomic<std::size_t> users_{0};

    std::mutex loads_mutex_;  // guards everything down to stopping_
    std::condition_variable loads_wake_;
    std::unordered_map<std::string, pending_load> pending_;
    std::deque<std::string> queue_;  // users whose load no loader has taken yet, oldest first
    bool stopping_ = false;

    std::mutex janitor_mutex_;
    std::condition_variable janitor_wake_;
    bool janitor_stopping_ = false;

    std::vector<std::thread> threads_;

    std::atomic<std::uint64_t> loads_{0}, load_failures_{0}, stale_loads_{0}, shared_waits_{0}, evictions_{0},
        drops_{0};
};

}  // namespace progressd::app
