#pragma once
// Which live node should own a partition: rendezvous hashing (highest random weight). Every node
// computes, for each partition, a 64-bit weight per live node and the heaviest node wins. Nodes
// agree without talking to each other, given the same set of live nodes (read from PostgreSQL),
// and a change of that set moves only what it must: a node that joins wins about 1/N of the
// partitions, each taken from whichever node held it, and a node that leaves gives up exactly its
// own, spread over the others. A modulo over a sorted node list would instead reshuffle almost
// everything on every change, and every move is a flush and a cold cache.
//
// The weight is fmix64(fnv1a64(le32(partition) ‖ node_id)): FNV-1a over the partition's four
// bytes, little-endian, then the node id's bytes; then MurmurHash3's 64-bit finaliser, because
// FNV-1a alone spreads its last bytes poorly and the node ids of a cluster differ in their last
// characters ("node-1", "node-2"). Easy to recompute in any language for tools and checks. All
// nodes of a cluster must use the same function: two builds that disagree would hand partitions
// back and forth. A unit test pins known values.
//
// Pure functions of their arguments: safe from any thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace progressd::store {

std::uint64_t rendezvous_weight(std::uint32_t partition, std::string_view node_id);

inline constexpr std::size_t no_winner = static_cast<std::size_t>(-1);

// The index in `nodes` of the node that should own `partition`: the highest weight, the smaller
// id on a tie (2^-64 per pair, but the answer must not depend on the list's order). no_winner when
// `nodes` is empty.
std::size_t rendezvous_winner(std::uint32_t partition, std::span<const std::string> nodes);

}  // namespace progressd::store
