#pragma once
// What a cluster node knows about partition ownership at one moment (docs/cluster.md, "The
// membership thread"): the partitions it holds, at which epochs, and, for every other partition,
// which live node owns it and where to reach it. The membership thread builds one after each
// reconcile step and publishes it whole; nothing changes a view once built, so any number of
// threads may read one without locks (they share it as shared_ptr<const membership_view>).
//
// The owners of other nodes' partitions come from one read of `partitions` joined with the live
// `nodes` per period, so they may be a period old: a router that forwards to a node that has just
// handed a partition over is answered by that node as any non-owner would answer it. This node's
// own partitions come from its lease keeper, never from that read: they are what it may serve and
// what its fenced commits claim.

#include "store/partition.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/pg_error.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace progressd::store {

struct node_address {
    std::string node_id;
    std::string advertise_url;  // where the other nodes forward this node's users' requests
};

struct membership_view {
    static constexpr std::uint16_t no_owner = 0xffff;

    std::array<std::int64_t, partition_count> epoch{};  // this node's claim per partition; 0: not held
    std::array<std::uint16_t, partition_count> owner;    // index into `nodes`; no_owner: none known
    std::vector<node_address> nodes;                     // nodes[0] is this node
    std::vector<partition_claim> claims;                 // this node's, in partition order

    membership_view() { owner.fill(no_owner); }

    bool owns(std::uint32_t partition) const { return partition < partition_count && epoch[partition] != 0; }
    // The partition's owner (this node included); null when it has none or its owner is not live.
    const node_address* owner_of(std::uint32_t partition) const {
        if (partition >= partition_count || owner[partition] == no_owner) return nullptr;
        return &nodes[owner[partition]];
    }
};

// One row of `partitions` whose owner is live, with the owner's advertised URL.
struct owned_partition {
    std::uint32_t partition = 0;
    std::string owner;
    std::string advertise_url;
};

// The partitions whose owner is live (heartbeat younger than `lease`), in partition order.
// Blocking, on the caller's connection (connection.hpp); one statement.
pg_outcome<std::vector<owned_partition>> read_owners(connection& conn, std::chrono::milliseconds lease);

// A view of `self` holding `claims`, with `others` (the latest read_owners) for the partitions it
// does not hold. A partition the read gives to `self` but the claims do not hold has no known
// owner: the read is older than the keeper's last step, which released or lost it.
membership_view make_view(const node_address& self, std::span<const partition_claim> claims,
                          std::span<const owned_partition> others);

}  // namespace progressd::store
