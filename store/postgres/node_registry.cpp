#include "store/postgres/node_registry.hpp"

#include "store/postgres/transaction.hpp"

namespace progressd::store {
namespace {

constexpr statement heartbeat_statement{"progressd_heartbeat", R"sql(
INSERT INTO nodes (node_id, advertise_url) VALUES ($1::text, $2::text)
ON CONFLICT (node_id) DO UPDATE SET advertise_url = EXCLUDED.advertise_url, heartbeat_at = now()
)sql"};

constexpr statement forget_node_statement{"progressd_forget_node", R"sql(
DELETE FROM nodes WHERE node_id = $1::text
)sql"};

// Locked in partition order before the update, as every writer of `partitions` does (fencing.hpp).
constexpr statement lock_owned_statement{"progressd_lock_owned_partitions", R"sql(
SELECT partition FROM partitions WHERE owner = $1::text ORDER BY partition FOR UPDATE
)sql"};

constexpr statement release_owned_statement{"progressd_release_owned_partitions", R"sql(
UPDATE partitions SET owner = NULL, lease_until = NULL WHERE owner = $1::text
)sql"};

constexpr statement live_nodes_statement{"progressd_live_nodes", R"sql(
SELECT node_id, advertise_url FROM nodes
WHERE heartbeat_at > now() - $1::int8 * interval '1 millisecond'
ORDER BY node_id
)sql"};

query_params node_param(std::string_view node_id) {
    query_params params;
    params.add_text(node_id);
    return params;
}

}  // namespace

pg_status heartbeat(connection& conn, std::string_view node_id, std::string_view advertise_url) {
    query_params params;
    params.add_text(node_id);
    params.add_text(advertise_url);
    auto done = conn.run(heartbeat_statement, params);
    if (!done) return done.error();
    return {};
}

pg_status leave(connection& conn, std::string_view node_id) {
    auto txn = transaction::begin(conn);
    if (!txn) return txn.error();
    const auto params = node_param(node_id);
    for (const auto* step : {&forget_node_statement, &lock_owned_statement, &release_owned_statement}) {
        auto done = conn.run(*step, params);
        if (!done) return done.error();  // the guard rolls back
    }
    return txn->commit();
}

pg_outcome<std::vector<live_node>> live_nodes(connection& conn, std::chrono::milliseconds lease) {
    query_params params;
    params.add_int64(lease.count());
    auto rows = conn.run(live_nodes_statement, params);
    if (!rows) return rows.error();
    std::vector<live_node> nodes;
    nodes.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        nodes.push_back({std::string(rows->bytes(i, 0)), std::string(rows->bytes(i, 1))});
    }
    return nodes;
}

}  // namespace progressd::store
