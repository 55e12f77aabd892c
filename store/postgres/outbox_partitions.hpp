#pragma once
// Webhook deliveries in a cluster (docs/cluster.md, "Webhooks in a cluster"): a delivery belongs
// to the partition of its event's user, and only that partition's owner holds it in memory and
// sends it. When a node acquires partitions it reads their deliveries from PostgreSQL (whatever
// the previous owner wrote: a handover's flush, or what a node that died had committed); when it
// releases or loses them it forgets theirs, writing nothing, since the rows are the next owner's.
//
// load_outbox_partitions blocks on the caller's connection. outbox_partitions is what the node's
// membership thread calls after each step that changed its partitions; it keeps its own
// connection, opened when first needed. A load that fails (PostgreSQL unreachable) is kept and
// tried again by the next call, or by catch_up(): the rows stay in PostgreSQL meanwhile, so
// nothing is lost, only late.
//
// Thread-safety: load_outbox_partitions is a plain function. changed() and catch_up() belong to
// one thread (the membership thread's); stats() may be called from any.

#include "common/log.hpp"
#include "store/outbox.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/pg_error.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace progressd::store {

// The deliveries of these partitions (the `partition` column: the event's user's), in the order
// load_outbox gives. A row that does not decode fails the load, naming its key.
pg_outcome<std::vector<loaded_delivery>> load_outbox_partitions(connection& conn, std::span<const std::uint32_t> partitions);

struct outbox_partitions_stats {
    std::uint64_t loaded = 0;      // deliveries adopted
    std::uint64_t dropped = 0;     // deliveries forgotten
    std::uint64_t failures = 0;    // loads that failed (kept for the next call)
    std::size_t unloaded = 0;      // partitions held whose load is still to be done
};

class outbox_partitions {
public:
    outbox_partitions(event_outbox& outbox, std::string conninfo, const logger& log);

    // After a reconcile step: `acquired` partitions' deliveries loaded (clean: they are in
    // PostgreSQL already), then the `gone` ones (released or lost) forgotten. Also retries the
    // loads still to be done. True when nothing is left to load.
    bool changed(std::span<const partition_claim> acquired, std::span<const partition_claim> gone);
    // Retries the loads still to be done; true when none is left. Cheap when there is none.
    bool catch_up();

    outbox_partitions_stats stats() const;

private:
    bool load_unloaded();
    void count(std::uint64_t outbox_partitions_stats::*counter, std::uint64_t by = 1);

    event_outbox& outbox_;
    const std::string conninfo_;
    const logger& log_;
    std::optional<connection> conn_;
    std::set<std::uint32_t> unloaded_;
    mutable std::mutex mutex_;  // guards stats_
    outbox_partitions_stats stats_;
};

}  // namespace progressd::store
