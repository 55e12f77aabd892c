#pragma once
// Who owns which partition, decided in PostgreSQL (docs/cluster.md, "Membership and leases").
//
// Each node runs reconcile() periodically (a few times per lease time), after its heartbeat
// (node_registry.hpp). A step reads the live nodes and the `partitions` table, computes each
// partition's desired owner by rendezvous hashing over the live nodes (store/rendezvous.hpp), and
// moves this node's ownership towards it:
//   - renew: the lease of every partition it holds is extended to now() + lease;
//   - acquire: a partition whose desired owner is this node is taken (owner = this node,
//     epoch + 1, a new lease) when it has no owner, its lease ran out, or its owner is not live;
//     a live owner with a lease is left alone: it hands the partition over itself;
//   - hand over: a partition it holds whose desired owner is another live node is released
//     (owner and lease cleared) once the caller's flush of it succeeded, so the new owner takes it
//     at its next step instead of waiting for the lease to run out.
// The epoch counts acquisitions: a release keeps it, and the next owner's acquisition increments
// it. A release needs no increment of its own: from then on the row names no owner, which already
// refuses the old owner's late fenced commits (fencing.hpp).
//
// Every change is a transaction that locks the rows it changes (FOR UPDATE, in increasing
// partition order, as fenced_commit locks them, so the two never deadlock) and checks each row
// again under the lock, so two nodes deciding from the same picture cannot both take a partition,
// and a takeover never lands on a lease its owner renewed in between. The plan itself is made
// from a snapshot read without locks: a wrong guess costs a step, never an owner.
//
// Partitions the table says this node owns but the keeper does not hold (a previous run of the
// same node id, or an acquisition whose COMMIT answer was lost) are taken again at a new epoch
// when they are still this node's to own, released otherwise: a leftover process of that run can
// then no longer commit.
//
// Blocking, on the caller's connection (connection.hpp); no transaction of the caller's may be
// open. Not thread-safe: one keeper per node, used by one thread, whose claims() the node copies
// to where its writers can see them.

#include "store/postgres/connection.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/pg_error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace progressd::store {

// What a step changed, each list in partition order. When a step fails part way (error set), the
// lists hold what had already been committed or found before the failure, and the keeper's
// claims() reflect exactly that.
struct reconcile_report {
    std::vector<partition_claim> acquired;  // taken this step, at their new epoch: claims for fenced_commit
    std::vector<partition_claim> kept;      // held before and after the step, lease renewed
    std::vector<partition_claim> released;  // handed over this step, after their flush succeeded
    std::vector<partition_claim> lost;      // held before, found owned by another node, at a newer epoch or by nobody
    std::optional<pg_error> error;          // why the step stopped; the next step starts over

    bool ok() const { return !error; }
    bool changed() const { return !acquired.empty() || !released.empty() || !lost.empty(); }
};

// Writes everything still pending for these partitions and commits it (fenced, at these claims);
// true when it did. It must first stop taking writes for them (the server answers them elsewhere
// from now on), or a write after the flush would be lost with the release. Called with no
// transaction open on the keeper's connection, which it may use. Partitions whose flush failed
// stay held and are offered again at the next step.
using flush_partitions = std::function<bool(std::span<const partition_claim>)>;

class lease_keeper {
public:
    // `lease`: how long a lease lasts from its last renewal, and how long a node stays live after
    // its last heartbeat. Every node of a cluster must use the same value.
    lease_keeper(std::string node_id, std::chrono::milliseconds lease);

    // One step (see above). `flush` may be empty when the node keeps nothing to write behind.
    reconcile_report reconcile(connection& conn, const flush_partitions& flush);

    // The partitions held, with the epochs they were acquired at, in partition order.
    std::vector<partition_claim> claims() const;
    const std::string& node_id() const { return node_id_; }
    std::chrono::milliseconds lease() const { return lease_; }

private:
    struct plan;
    pg_status make_plan(connection& conn, plan& step, reconcile_report& report);
    pg_status apply(connection& conn, plan& step, reconcile_report& report);
    pg_status hand_over(connection& conn, const plan& step, const flush_partitions& flush, reconcile_report& report);
    void drop(std::uint32_t partition, reconcile_report& report);

    std::string node_id_;
    std::chrono::milliseconds lease_;
    std::vector<std::int64_t> held_;  // per partition, the epoch it is held at; 0: not held (epochs start at 1)
};

}  // namespace progressd::store
