#pragma once
// Lowers the scheduling weight of background threads, so they yield the CPU to the I/O threads.
//
// Why: the persister's flush is a burst of CPU work (collect, encode, sort, LMDB puts) every flush
// interval. When it shares a core with an I/O thread (one-core deployments, or pinned as in
// bench/compare), the scheduler gives the two equal time slices, and every ping that arrives
// during the persister's slice waits for it: p99 rose from ~1 to ~5 ms. At nice 10 the persister
// still gets every idle moment and about a tenth of a busy core, and the I/O thread is picked first
// whenever it is runnable. Nice rather than SCHED_IDLE: a SCHED_IDLE thread can be starved while
// it holds a shard lock by any other process on the core, stalling the I/O thread behind it
// (bench/RESULTS.md, "Flush impact").
//
// Linux: nice is per thread and inherited by threads created afterwards, so lowering the thread
// that starts the persister lowers the persister.

namespace progressd {

// Sets the calling thread's nice value (0..19; only ever lowering priority, which needs no
// privilege). Returns false when the system refused; the server then runs on at normal priority.
bool set_this_thread_nice(int nice);

}  // namespace progressd
