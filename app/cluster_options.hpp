#pragma once
// How a node joins a cluster on PostgreSQL: the --store postgres flags (docs/cluster.md).

#include "store/persist/durability.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace progressd::app {

struct cluster_options {
    std::string conninfo;       // --postgres-url: a libpq connection string or URI
    std::string node_id;        // --node-id: unique in the cluster, stable across restarts
    std::string advertise_url;  // --advertise-url: where the other nodes forward this node's users
    std::chrono::milliseconds lease{5000};  // --lease-ms: the same on every node
    store::durability_mode durability = store::durability_mode::snapshot;  // app::database sets both
    std::chrono::milliseconds flush_interval{1000};
    std::size_t cache_max_bytes = 0;      // --cache-max-bytes; 0: no bound
    std::size_t max_pending = 1'000'000;  // snapshot writes buffered through an outage before 503
    std::chrono::milliseconds start_timeout{30000};  // how long recover() waits for PostgreSQL
};

}  // namespace progressd::app
