#pragma once
// The fence every write-behind commit passes (docs/cluster.md): a node commits a batch only while
// it still owns, at the epoch it acquired them with, every partition the batch writes. Taking a
// partition over always increments its epoch in `partitions`, so a node that lost a partition
// (its lease ran out during a pause, a network split, a slow flush) can never commit over the
// newer owner's writes, however late its batch arrives.
//
// How it holds under concurrency: fenced_commit locks the claimed rows of `partitions` FOR SHARE
// inside the batch's transaction, just before COMMIT. A takeover is an UPDATE of those rows, which
// conflicts with the share lock, so exactly one of two things happens:
//   - the takeover committed first: the share lock, taken at read committed, sees the new owner
//     and epoch, the claim fails, the batch is rolled back (pg_errc::fenced);
//   - the share lock came first: the takeover waits until the batch has committed, so the new
//     owner, which loads a user only after its takeover, reads the batch's writes.
// The lease time is not checked: a lease that ran out but was not taken over still has our epoch,
// and nobody else has written the partition since. Takeovers should lock partitions in
// increasing order, as the claim does, so that the two never deadlock.
//
// Blocking, on the caller's connection (connection.hpp).

#include "store/postgres/pg_error.hpp"
#include "store/postgres/query_params.hpp"
#include "store/postgres/transaction.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace progressd::store {

struct partition_claim {
    std::uint32_t partition = 0;
    std::int64_t epoch = 0;  // the epoch the owner acquired the partition with
};

// The parameters every statement about claims takes: $1 the partitions (int4[]), $2 their epochs
// (int8[]), in the claims' order, $3 the owner.
query_params claim_params(std::string_view owner, std::span<const partition_claim> claims);

// Checks that `owner` still holds each claimed partition at its epoch, keeps them locked and
// commits `txn`; otherwise rolls `txn` back and returns pg_errc::fenced, naming the partitions
// lost. The transaction is finished either way. With no claims it simply commits.
pg_status fenced_commit(transaction& txn, std::string_view owner, std::span<const partition_claim> claims);

}  // namespace progressd::store
