#pragma once
// The server's configuration: one struct, built once in main from flags and PROGRESSD_* env
// variables (docs/operations.md, "Flags"), then passed down by const&.

#include "common/log.hpp"
#include "store/outbox.hpp"
#include "store/persist/persister.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace progressd {

struct server_config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    unsigned threads = 1;
    std::size_t shards = 64;
    std::string data_dir = "./data";
    store::durability_mode durability = store::durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    std::chrono::milliseconds checkpoint_interval{30000};  // embedded store: LMDB checkpoints of the log
    int persister_nice = 10;  // the persister's nice value (server/thread_priority.hpp); 0 = as the I/O threads
    double completion_threshold = 95;
    // --completion-rule: the default policy and the per type / mimetype overrides (docs/data-model.md, rule 4).
    store::completion_policy default_completion_policy = store::completion_policy::furthest;
    std::vector<store::completion_override> completion_overrides;
    std::string catalog_file;  // JSON array of catalog entries applied at start; empty: none
    std::string jwt_hs256_secret_file;  // empty: <data_dir>/jwt-hs256.secret, generated on first run
    std::string jwt_rs256_public_key_file;
    std::string api_keys_file;
    std::vector<std::string> cors_allow_origins;  // exact origins, or "*"; empty: CORS off (server/cors.hpp)
    std::size_t max_body_bytes = 64 * 1024;
    std::size_t max_header_bytes = 8 * 1024;
    std::chrono::seconds drain{5};
    // After --drain-seconds the drain goes on while API requests keep arriving, until none came for
    // drain_quiet or drain_max has passed since the signal (docs/operations.md, "Draining").
    std::chrono::seconds drain_max{30};
    std::chrono::milliseconds drain_quiet{1000};
    // API requests arriving while the store loads wait this long for it before their 503.
    std::chrono::seconds load_hold{5};
    // --agent-listen: HAProxy's agent-check port (server/agent_check.hpp); off when agent_enabled is false.
    bool agent_enabled = false;
    std::string agent_host;
    std::uint16_t agent_port = 0;
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds request_timeout{10};
    std::size_t max_connections = 10000;
    std::size_t lmdb_map_size = std::size_t{1} << 30;
    std::size_t lmdb_max_map_size = 0;  // 0: grow without limit
    log_level log = log_level::info;
    // Cluster mode (docs/cluster.md): --store postgres and the flags that go with it.
    bool cluster = false;         // --store postgres; false: the embedded LMDB store
    std::string postgres_url;     // libpq connection string or URI
    std::string node_id;          // empty: the listen address, host:port
    std::string advertise_url;    // empty: http:// + the listen address
    std::chrono::milliseconds lease{5000};
    std::size_t cache_max_bytes = 0;  // 0: no bound
    store::retry_policy webhook_retry{};  // docs/webhooks.md, "Delivery"
    std::chrono::milliseconds webhook_timeout{10000};
};

// Either the configuration or the exit code to leave with (after --help, or a bad flag, which
// has then been reported on stderr).
std::variant<server_config, int> parse_config(int argc, char** argv);

}  // namespace progressd
