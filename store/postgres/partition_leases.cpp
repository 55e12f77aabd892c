#include "store/postgres/partition_leases.hpp"

#include "store/partition.hpp"
#include "store/postgres/node_registry.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/transaction.hpp"
#include "store/rendezvous.hpp"

#include <algorithm>
#include <utility>

namespace progressd::store {
namespace {

// Both reads return the same columns: who owns the partition at which epoch, whether its lease
// ran out, and whether its owner is live, all on the database's clock. Under FOR UPDATE, read
// committed evaluates them again on the newest version of a row another transaction changed.
constexpr statement snapshot_statement{"progressd_partitions_snapshot", R"sql(
SELECT p.partition, p.owner, p.epoch,
       p.lease_until IS NULL OR p.lease_until <= now() AS expired,
       EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = p.owner
               AND n.heartbeat_at > now() - $1::int8 * interval '1 millisecond') AS owner_live
FROM partitions p
ORDER BY p.partition
)sql"};

// Rows are locked in the order they come out, partition order (the lock is taken above the sort).
constexpr statement lock_statement{"progressd_lock_partitions", R"sql(
SELECT p.partition, p.owner, p.epoch,
       p.lease_until IS NULL OR p.lease_until <= now() AS expired,
       EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = p.owner
               AND n.heartbeat_at > now() - $1::int8 * interval '1 millisecond') AS owner_live
FROM partitions p
WHERE p.partition = ANY($2::int4[])
ORDER BY p.partition
FOR UPDATE OF p
)sql"};

constexpr statement renew_statement{"progressd_renew_partitions", R"sql(
UPDATE partitions SET lease_until = now() + $1::int8 * interval '1 millisecond'
WHERE partition = ANY($2::int4[])
)sql"};

constexpr statement acquire_statement{"progressd_acquire_partitions", R"sql(
UPDATE partitions SET owner = $3::text, epoch = epoch + 1, lease_until = now() + $1::int8 * interval '1 millisecond'
WHERE partition = ANY($2::int4[])
RETURNING partition, epoch
)sql"};

constexpr statement release_statement{"progressd_release_partitions", R"sql(
UPDATE partitions SET owner = NULL, lease_until = NULL WHERE partition = ANY($1::int4[])
)sql"};

struct partition_row {
    std::uint32_t partition = 0;
    std::optional<std::string> owner;
    std::int64_t epoch = 0;
    bool expired = true;
    bool owner_live = false;
};

pg_outcome<std::vector<partition_row>> read_rows(const query_result& result) {
    std::vector<partition_row> rows;
    rows.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
        const auto partition = result.int32(i, 0);
        const auto epoch = result.int64(i, 2);
        const auto expired = result.boolean(i, 3);
        const auto owner_live = result.boolean(i, 4);
        if (!partition || *partition < 0 || static_cast<std::uint32_t>(*partition) >= partition_count || !epoch ||
            !expired || !owner_live) {
            return pg_error{pg_errc::malformed_row, {}, "a row of partitions that does not decode"};
        }
        partition_row row{static_cast<std::uint32_t>(*partition), std::nullopt, *epoch, *expired, *owner_live};
        if (!result.is_null(i, 1)) row.owner.emplace(result.bytes(i, 1));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string int4_array(std::span<const std::uint32_t> partitions) {
    pg_binary::array_builder array(pg_binary::int4_oid);
    for (const auto p : partitions) array.add_int(static_cast<std::int32_t>(p));
    return array.finish();
}

// Opens a transaction for changing `partitions` and locks their rows. A row lock waits for the
// fenced commits holding it; a step waits no longer than a lease, so a stuck transaction elsewhere
// delays this node's next step rather than stopping its loop.
pg_outcome<std::vector<partition_row>> lock_rows(connection& conn, transaction&, std::chrono::milliseconds lease,
                                                 std::span<const std::uint32_t> partitions) {
    auto timeout = conn.exec("SET LOCAL lock_timeout = '" + std::to_string(lease.count()) + "ms'");
    if (!timeout) return timeout.error();
    query_params params;
    params.add_int64(lease.count());
    params.add_binary(int4_array(partitions));
    auto locked = conn.run(lock_statement, params, result_format::binary);
    if (!locked) return locked.error();
    return read_rows(*locked);
}

pg_status run_on(connection& conn, const statement& stmt, std::chrono::milliseconds lease,
                 std::span<const std::uint32_t> partitions) {
    query_params params;
    params.add_int64(lease.count());
    params.add_binary(int4_array(partitions));
    auto done = conn.run(stmt, params);
    if (!done) return done.error();
    return {};
}

}  // namespace

struct lease_keeper::plan {
    std::vector<std::uint32_t> renew;            // held: extend the lease
    std::vector<std::uint32_t> acquire;          // ours to own and free to take
    std::vector<std::uint32_t> release_orphans;  // the table's owner is our name, but not held, and not ours to own
    std::vector<std::uint32_t> hand_over;        // held (so also in renew), another live node's to own
};

lease_keeper::lease_keeper(std::string node_id, std::chrono::milliseconds lease)
    : node_id_(std::move(node_id)), lease_(lease), held_(partition_count, 0) {}

std::vector<partition_claim> lease_keeper::claims() const {
    std::vector<partition_claim> out;
    for (std::uint32_t p = 0; p < partition_count; ++p) {
        if (held_[p] != 0) out.push_back({p, held_[p]});
    }
    return out;
}

void lease_keeper::drop(std::uint32_t partition, reconcile_report& report) {
    report.lost.push_back({partition, held_[partition]});
    held_[partition] = 0;
}

reconcile_report lease_keeper::reconcile(connection& conn, const flush_partitions& flush) {
    reconcile_report report;
    plan step;
    auto status = make_plan(conn, step, report);
    if (status) status = apply(conn, step, report);
    if (status) status = hand_over(conn, step, flush, report);
    if (!status) report.error = status.error();
    for (const auto p : step.renew) {
        if (held_[p] != 0) report.kept.push_back({p, held_[p]});
    }
    // Losses are found in two passes (the snapshot, then under lock): keep the list in order.
    std::sort(report.lost.begin(), report.lost.end(),
              [](const partition_claim& a, const partition_claim& b) { return a.partition < b.partition; });
    return report;
}

pg_status lease_keeper::make_plan(connection& conn, plan& step, reconcile_report& report) {
    // One snapshot for both reads, so the live nodes and the owners' liveness agree.
    auto txn = transaction::begin(conn);
    if (!txn) return txn.error();
    if (auto isolation = conn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"); !isolation) {
        return isolation.error();
    }
    auto nodes = live_nodes(conn, lease_);
    if (!nodes) return nodes.error();
    query_params params;
    params.add_int64(lease_.count());
    auto snapshot = conn.run(snapshot_statement, params, result_format::binary);
    if (!snapshot) return snapshot.error();
    auto rows = read_rows(*snapshot);
    if (!rows) return rows.error();
    txn->rollback();  // read only: nothing to commit

    std::vector<std::string> live;
    live.reserve(nodes->size());
    for (auto& node : *nodes) live.push_back(std::move(node.node_id));

    for (const auto& row : *rows) {
        const auto p = row.partition;
        const auto winner = rendezvous_winner(p, live);
        const bool desired_somewhere = winner != no_winner;
        const bool desired_here = desired_somewhere && live[winner] == node_id_;
        const bool named_here = row.owner && *row.owner == node_id_;
        if (held_[p] != 0) {
            if (!named_here || row.epoch != held_[p]) {
                // Epochs only grow and only a takeover names another owner: this is final.
                drop(p, report);
                continue;
            }
            step.renew.push_back(p);
            // With no live node at all (not even this one, whose heartbeat failed), keep what is held.
            if (desired_somewhere && !desired_here) step.hand_over.push_back(p);
        } else if (named_here) {
            if (desired_here) {
                step.acquire.push_back(p);
            } else if (desired_somewhere) {
                step.release_orphans.push_back(p);
            }
        } else if (desired_here && (!row.owner || row.expired || !row.owner_live)) {
            step.acquire.push_back(p);
        }
    }
    return {};
}

pg_status lease_keeper::apply(connection& conn, plan& step, reconcile_report& report) {
    std::vector<std::uint32_t> all;
    all.reserve(step.renew.size() + step.acquire.size() + step.release_orphans.size());
    all.insert(all.end(), step.renew.begin(), step.renew.end());
    all.insert(all.end(), step.acquire.begin(), step.acquire.end());
    all.insert(all.end(), step.release_orphans.begin(), step.release_orphans.end());
    if (all.empty()) return {};
    std::sort(all.begin(), all.end());

    auto txn = transaction::begin(conn);
    if (!txn) return txn.error();
    auto rows = lock_rows(conn, *txn, lease_, all);
    if (!rows) return rows.error();

    // Each decision again, on the row as it is now that nobody else can change it.
    std::vector<std::uint32_t> renewing, taking, releasing;
    for (const auto& row : *rows) {
        const auto p = row.partition;
        const bool named_here = row.owner && *row.owner == node_id_;
        if (held_[p] != 0) {
            if (named_here && row.epoch == held_[p]) {
                renewing.push_back(p);
            } else {
                drop(p, report);
            }
        } else if (std::binary_search(step.release_orphans.begin(), step.release_orphans.end(), p)) {
            if (named_here) releasing.push_back(p);
        } else if (!row.owner || named_here || row.expired || !row.owner_live) {
            taking.push_back(p);
        }
    }
    if (!renewing.empty()) {
        if (auto renewed = run_on(conn, renew_statement, lease_, renewing); !renewed) return renewed;
    }
    if (!releasing.empty()) {
        query_params params;
        params.add_binary(int4_array(releasing));
        if (auto released = conn.run(release_statement, params); !released) return released.error();
    }
    std::vector<partition_claim> taken;
    if (!taking.empty()) {
        query_params params;
        params.add_int64(lease_.count());
        params.add_binary(int4_array(taking));
        params.add_text(node_id_);
        auto acquired = conn.run(acquire_statement, params, result_format::binary);
        if (!acquired) return acquired.error();
        for (int i = 0; i < acquired->rows(); ++i) {
            const auto partition = acquired->int32(i, 0);
            const auto epoch = acquired->int64(i, 1);
            if (!partition || !epoch) return pg_error{pg_errc::malformed_row, {}, "an acquired partition that does not decode"};
            taken.push_back({static_cast<std::uint32_t>(*partition), *epoch});
        }
    }
    if (auto committed = txn->commit(); !committed) return committed;
    // Only now are they ours: a claim must never name an epoch that was not committed.
    std::sort(taken.begin(), taken.end(),
              [](const partition_claim& a, const partition_claim& b) { return a.partition < b.partition; });
    for (const auto& claim : taken) {
        held_[claim.partition] = claim.epoch;
        report.acquired.push_back(claim);
    }
    return {};
}

pg_status lease_keeper::hand_over(connection& conn, const plan& step, const flush_partitions& flush,
                                  reconcile_report& report) {
    std::vector<partition_claim> leaving;
    for (const auto p : step.hand_over) {
        if (held_[p] != 0) leaving.push_back({p, held_[p]});  // not lost since the plan
    }
    if (leaving.empty()) return {};
    // The writes behind must reach PostgreSQL while the partitions are still ours, or the fence
    // would refuse them; nothing is released unless they did.
    if (flush && !flush(leaving)) return {};

    std::vector<std::uint32_t> partitions;
    for (const auto& claim : leaving) partitions.push_back(claim.partition);
    auto txn = transaction::begin(conn);
    if (!txn) return txn.error();
    auto rows = lock_rows(conn, *txn, lease_, partitions);
    if (!rows) return rows.error();
    std::vector<std::uint32_t> releasing;
    for (const auto& row : *rows) {
        if (row.owner && *row.owner == node_id_ && row.epoch == held_[row.partition]) {
            releasing.push_back(row.partition);
        } else {
            drop(row.partition, report);
        }
    }
    if (releasing.empty()) return {};
    query_params params;
    params.add_binary(int4_array(releasing));
    if (auto released = conn.run(release_statement, params); !released) return released.error();
    if (auto committed = txn->commit(); !committed) return committed;
    for (const auto p : releasing) {
        report.released.push_back({p, held_[p]});
        held_[p] = 0;
    }
    return {};
}

}  // namespace progressd::store
