#pragma once
// Large allocations go back to the system when freed, whoever frees them.
//
// glibc serves an allocation of 128 KiB or more with a mapping of its own, unmapped on free, but
// the first time such a block is freed it raises that threshold to the block's size (up to 32
// MiB). From then on the persister's per-batch scratch when it is freed (a second of changes
// committed from memory: ~48 bytes each in its list, ~130 in its arena; store/scratch_reuse.hpp)
// and a checkpoint's list come from the heap, and glibc gives heap memory back only from its top: most
// of it stayed resident, ~20–40 bytes a record of a store under a million records. A fixed
// threshold of 1 MiB keeps them mappings. Called once, at the start of main, before any thread
// exists.

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace progressd {

inline void return_large_allocations_to_the_system() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    // Setting the threshold also fixes the trim threshold at its 128 KiB default, where the
    // dynamic one would have risen to tens of MiB: the heap's top is then given back and faulted
    // in again all the time, on the I/O thread too (bench/RESULTS.md, "A growing store": the long
    // run's p99.9 fell from 137-154 ms to 58-139 with this line).
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

}  // namespace progressd
