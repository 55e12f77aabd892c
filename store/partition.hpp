#pragma once
// Which of the cluster's partitions a user belongs to. Ownership in cluster mode is decided per
// partition (a node owns a set of partitions, each with a lease and an epoch, docs/cluster.md), so
// every node, every tool and the load balancer must map a user to the same partition forever: a
// user whose partition changed would have two owners' data.
//
// The function is the CRC-32 of the user id's bytes (IEEE 802.3, reflected, the one of zlib, gzip
// and PNG) modulo partition_count. Chosen because the other parts of a deployment already have it:
// HAProxy's `crc32` converter (`…,crc32,mod(1024)` routes a request straight to its owner),
// Python's `zlib.crc32(user_id) % 1024` in tests and tools. It is not std::hash, whose value may
// change with the standard library and is only used for in-process shards (store/sharding.hpp).
// Never change either the function or the count: both are part of the data in PostgreSQL.

#include "common/crc32.hpp"

#include <cstdint>
#include <string_view>

namespace progressd::store {

inline constexpr std::uint32_t partition_count = 1024;

// 0 ≤ partition_of(user_id) < partition_count.
inline std::uint32_t partition_of(std::string_view user_id) { return progressd::crc32(user_id) % partition_count; }

}  // namespace progressd::store
