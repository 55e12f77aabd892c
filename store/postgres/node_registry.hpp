#pragma once
// The `nodes` table: which progressd nodes are alive (docs/cluster.md, "Membership and leases").
// A node calls heartbeat() every fraction of the lease time (a third, say); it is live while its
// latest heartbeat is younger than the lease time. Times are the database's (now()), never the
// nodes': liveness and leases are compared on one clock, so a node whose own clock is wrong
// cannot keep itself alive or declare another dead.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).
// Each is one statement or one transaction of its own: none may run inside a caller's transaction.

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

struct live_node {
    std::string node_id;
    std::string advertise_url;
};

// Inserts the node's row or refreshes it: heartbeat_at = now(), the advertised URL as given (it
// may change across restarts). started_at is set when the row is created.
pg_status heartbeat(connection& conn, std::string_view node_id, std::string_view advertise_url);

// A planned shutdown, once the node has stopped writing and flushed: removes its row and releases
// every partition it still owns (owner and lease cleared, epoch kept), in one transaction, so the
// others' next reconcile step takes them at once instead of after the lease. A node that stops
// without calling it is simply no longer live after the lease time.
pg_status leave(connection& conn, std::string_view node_id);

// The live nodes (heartbeat younger than `lease`), ordered by node_id.
pg_outcome<std::vector<live_node>> live_nodes(connection& conn, std::chrono::milliseconds lease);

}  // namespace progressd::store
