#pragma once
// The membership thread of a cluster node (docs/cluster.md, "The membership thread"): beside the
// write-behind persister, with a PostgreSQL connection of its own, it keeps the node in the
// cluster and publishes what the node owns.
//
// Every period (a third of the lease by default) it heartbeats, runs the lease keeper's reconcile
// step (partition_leases.hpp) with the caller's flush (the persister's flush_partitions) for
// handovers, reads who owns the other partitions, and publishes the result as an immutable
// membership_view. When PostgreSQL is unreachable it retries on a new connection, 100 ms doubling
// up to a period.
//
// Self-fencing of reads: the node may serve its cached users only while its leases are surely
// still its own. serving() is true until one lease after the start of the latest step that
// renewed them, by this process's monotonic clock. The renewal happened after that start on
// PostgreSQL's clock, and nobody takes a partition over before its lease ran out or its owner's
// heartbeat (also sent after that start) is a lease old; so serving() turns false no later than
// anybody else may acquire what this node holds, whatever stalled the thread: PostgreSQL down, a
// network split, a pause, a flush that hangs. It is computed by the reader, so it turns false
// even while the thread is stuck. Writes need no such care: the fence refuses them.
//
// stop() is the planned shutdown: no more heartbeats, serving() false, everything held flushed
// through the callback (partitions found taken over meanwhile are left out), then leave(), so the
// others take the partitions at their next step instead of after a lease. It never releases what
// was not flushed: then the partitions move after the lease, and the fence keeps the writes safe.
//
// Thread-safety: view, claims, owns, owner_of, version, serving and stats may be called from any
// thread. What they cost, for I/O threads: owns() is a mutex lock and an array read; view() and
// owner_of() also take a reference (an atomic increment and decrement on a cache line every
// reader shares); claims() copies a vector. A hot path can keep its own view and fetch a new one
// only when version() changed: one relaxed atomic load per request. start and stop belong to
// main. The callbacks (flush, on_change, before_period) run on the membership thread.

#include "common/log.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/membership_view.hpp"
#include "store/postgres/partition_leases.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace progressd::store {

struct node_membership_options {
    // The same on every node of a cluster (--lease-ms).
    std::chrono::milliseconds lease{5000};
    // Between the starts of two steps; zero: a third of the lease.
    std::chrono::milliseconds period{0};
    // How long stop() keeps trying to flush and leave.
    std::chrono::milliseconds stop_timeout{5000};
    // After a step that acquired, released or lost partitions: where the server drops the users of
    // partitions it no longer owns. On the membership thread; the next step waits for it.
    std::function<void(const reconcile_report&)> on_change{};
    // At the start of every period, before the heartbeat. Tests block in it to pause the node.
    std::function<void()> before_period{};
};

struct node_membership_stats {
    std::uint64_t steps = 0;        // reconcile steps that completed
    std::uint64_t failures = 0;     // periods that failed (connect, heartbeat, step, owners read)
    std::uint64_t reconnects = 0;   // connections opened after the first
    std::uint64_t acquired = 0;     // partitions, summed over the steps
    std::uint64_t released = 0;
    std::uint64_t lost = 0;
};

class node_membership {
public:
    node_membership(std::string conninfo, node_address self, flush_partitions flush,
                    node_membership_options options, const logger& log);
    ~node_membership();
    node_membership(const node_membership&) = delete;
    node_membership& operator=(const node_membership&) = delete;

    void start();
    // The planned shutdown (above), within stop_timeout plus one flush callback; joins the thread.
    // True when everything held was flushed and the node left.
    bool stop();

    std::shared_ptr<const membership_view> view() const;
    // The claims for fenced commits: the persister's claims provider.
    std::vector<partition_claim> claims() const;
    bool owns(std::uint32_t partition) const;
    // The partition's live owner, this node included; null when none is known. Keeps its view alive.
    std::shared_ptr<const node_address> owner_of(std::uint32_t partition) const;
    // Incremented at each publication of a view.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
    // Whether the node may still serve its cached users (above).
    bool serving() const;
    node_membership_stats stats() const;

private:
    using steady = std::chrono::steady_clock;

    void run();
    bool run_period(steady::time_point started);
    bool connected();
    void failed(const pg_error& error);
    void recovered();
    std::chrono::milliseconds bump_backoff();
    void publish(std::span<const partition_claim> claims);
    void note_changes(const reconcile_report& report);
    bool shut_down();
    bool flush_held(steady::time_point deadline);
    bool leave_cluster(steady::time_point deadline);
    void wait_backoff(steady::time_point deadline);

    const std::string conninfo_;
    const node_address self_;
    const flush_partitions flush_;
    const node_membership_options options_;
    const std::chrono::milliseconds period_;
    const logger& log_;

    std::thread thread_;
    mutable std::mutex mutex_;  // guards stopping_, stopped_ok_ and stats_
    std::condition_variable wake_;
    bool stopping_ = false;
    bool stopped_ok_ = true;
    node_membership_stats stats_;

    mutable std::mutex view_mutex_;  // guards view_ only: held for a pointer copy or one lookup
    std::shared_ptr<const membership_view> view_;
    std::atomic<std::uint64_t> version_{0};
    // steady_clock ticks until which serving() is true; min: never renewed, or stopping.
    std::atomic<steady::rep> serving_until_{steady::time_point::min().time_since_epoch().count()};

    // Membership thread only.
    lease_keeper keeper_;
    std::optional<connection> conn_;
    bool connected_once_ = false;
    bool failing_ = false;
    bool expiry_logged_ = false;
    std::chrono::milliseconds backoff_{0};
    std::vector<owned_partition> owners_;  // the latest read, kept when a read fails
};

}  // namespace progressd::store
