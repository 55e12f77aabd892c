#pragma once
// How long the persister's per-batch scratch memory is kept: its list of changes and the bytes
// they point at (store/byte_arena.hpp), used by the batches it commits to LMDB from memory (no
// log, a failed frame, a bulk batch) and, for what a logged batch holds back (its keys, the
// catalog's and other sources' changes), by every batch.
//
// Freed after every large batch, that memory was mapped afresh for the next one
// (common/large_allocations.hpp), and the page faults of touching it again were about half of
// the persister's CPU on a saturated, virtualised core: the replies waiting on a late batch and
// the checkpoint thread got that much less (bench/RESULTS.md, "Scratch kept while batches use
// it"). Kept while batches stay about as large, a busy server allocates nothing for the next
// batch; a load that falls to under a quarter, or stops, gets it back after one batch.

#include <cstddef>

namespace progressd::store {

// Whether a buffer of `capacity` (bytes, changes or chunks) that the batch just written filled to
// `used` is kept for the next batch. Buffers up to `always_kept` are: small batches (sync mode's
// group commits) would otherwise allocate again every time.
constexpr bool keep_for_next_batch(std::size_t used, std::size_t capacity, std::size_t always_kept) {
    return capacity <= always_kept || used >= capacity / 4;
}

}  // namespace progressd::store
