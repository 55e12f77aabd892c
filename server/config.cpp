#include "server/config.hpp"

#include "server/cors.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <thread>

namespace progressd {
namespace {

bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port_number) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    const std::string port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    const unsigned long value = std::stoul(port);
    if (value > 65535) return false;
    host = listen.substr(0, colon);
    port_number = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

std::variant<server_config, int> parse_config(int argc, char** argv) {
    server_config config;
    config.threads = std::max(1u, std::thread::hardware_concurrency());
    CLI::App app{"progressd: a progress-tracking server for video and learning platforms"};
    app.set_version_flag("--version", "progressd 0.1.0");

    std::string listen = "127.0.0.1:8080";
    std::string durability = "snapshot";
    std::string level = "info";
    long flush_ms = 1000;
    long checkpoint_ms = 30000;
    long drain_s = 5;
    long drain_max_s = 30;
    long load_hold_s = 5;
    std::string agent_listen;
    long idle_s = 60;
    long request_s = 10;
    std::size_t map_mb = 1024;
    std::size_t max_map_mb = 0;
    long webhook_retry_ms = 1000;
    long webhook_timeout_ms = 10000;

    auto flag = [&app](const std::string& name, auto& target, const std::string& help, const std::string& env) {
        return app.add_option(name, target, help)->envname(env)->capture_default_str();
    };
    flag("--listen", listen, "HOST:PORT to serve on (port 0: pick a free one)", "PROGRESSD_LISTEN");
    flag("--threads", config.threads, "I/O threads", "PROGRESSD_THREADS")->check(CLI::Range(1u, 1024u));
    flag("--shards", config.shards, "store shards (a power of two)", "PROGRESSD_SHARDS")->check(CLI::Range(1ul, 65536ul));
    flag("--data-dir", config.data_dir, "LMDB environment and generated secrets", "PROGRESSD_DATA_DIR");
    flag("--durability", durability, "snapshot | sync (see docs/durability.md)", "PROGRESSD_DURABILITY")
        ->check(CLI::IsMember({"snapshot", "sync"}));
    flag("--flush-interval-ms", flush_ms, "persister batch interval", "PROGRESSD_FLUSH_INTERVAL_MS")
        ->check(CLI::Range(1l, 3600000l));
    flag("--checkpoint-interval-ms", checkpoint_ms,
         "how often LMDB gets the write-ahead log's batches (sooner once the log holds 32 MiB)",
         "PROGRESSD_CHECKPOINT_INTERVAL_MS")
        ->check(CLI::Range(1l, 3600000l));
    flag("--persister-nice", config.persister_nice,
         "nice value of the persister thread in snapshot mode: below the I/O threads, so a flush does not "
         "delay requests (0-19; 0: the same priority)",
         "PROGRESSD_PERSISTER_NICE")
        ->check(CLI::Range(0, 19));
    flag("--completion-threshold", config.completion_threshold, "percent at which content completes",
         "PROGRESSD_COMPLETION_THRESHOLD")
        ->check(CLI::Range(1.0, 100.0));
    std::vector<std::string> completion_rules;
    app.add_option("--completion-rule", completion_rules,
                   "completion policy: default=POLICY[:P], type:TYPE=POLICY[:P] or mimetype:MIME=POLICY[:P]; "
                   "POLICY furthest|coverage, P the threshold (default: --completion-threshold); repeatable")
        ->envname("PROGRESSD_COMPLETION_RULES")
        ->delimiter(',');
    flag("--catalog", config.catalog_file, "JSON array of catalog entries loaded at start", "PROGRESSD_CATALOG");
    flag("--jwt-hs256-secret-file", config.jwt_hs256_secret_file,
         "HS256 secret file (default: generated in the data dir)", "PROGRESSD_JWT_HS256_SECRET_FILE");
    flag("--jwt-rs256-public-key", config.jwt_rs256_public_key_file, "PEM public key for RS256 tokens",
         "PROGRESSD_JWT_RS256_PUBLIC_KEY");
    flag("--api-keys-file", config.api_keys_file, "service API keys, one per line", "PROGRESSD_API_KEYS_FILE");
    app.add_option("--cors-allow-origins", config.cors_allow_origins,
                   "origins whose pages may call the API from a browser: exact origins "
                   "(https://app.example.com), comma-separated, or * for any (default: none)")
        ->envname("PROGRESSD_CORS_ALLOW_ORIGINS")
        ->delimiter(',');
    flag("--max-body-bytes", config.max_body_bytes, "request body limit (batch: 16x)", "PROGRESSD_MAX_BODY_BYTES")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20));
    flag("--drain-seconds", drain_s, "after SIGTERM, keep serving at least this long", "PROGRESSD_DRAIN_SECONDS")
        ->check(CLI::Range(0l, 3600l));
    flag("--drain-max-seconds", drain_max_s,
         "after --drain-seconds, keep serving while API requests still arrive (until 1 s without one), "
         "at most this long after SIGTERM",
         "PROGRESSD_DRAIN_MAX_SECONDS")
        ->check(CLI::Range(0l, 3600l));
    flag("--load-hold-seconds", load_hold_s,
         "API requests arriving while the store loads wait this long for it, then get 503 (0: 503 at once)",
         "PROGRESSD_LOAD_HOLD_SECONDS")
        ->check(CLI::Range(0l, 3600l));
    flag("--agent-listen", agent_listen,
         "HOST:PORT for HAProxy's agent-check (port 0: pick a free one; default: off)", "PROGRESSD_AGENT_LISTEN");
    flag("--idle-timeout-seconds", idle_s, "close idle keep-alive connections after", "PROGRESSD_IDLE_TIMEOUT_SECONDS")
        ->check(CLI::Range(1l, 86400l));
    flag("--request-timeout-seconds", request_s, "deadline to receive a whole request", "PROGRESSD_REQUEST_TIMEOUT_SECONDS")
        ->check(CLI::Range(1l, 3600l));
    flag("--max-connections", config.max_connections, "open connections at most", "PROGRESSD_MAX_CONNECTIONS")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
    flag("--lmdb-map-size-mb", map_mb, "initial LMDB map size (grows when full)", "PROGRESSD_LMDB_MAP_SIZE_MB")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
    flag("--lmdb-max-map-size-mb", max_map_mb, "LMDB map size ceiling (0: none)", "PROGRESSD_LMDB_MAX_MAP_SIZE_MB");
    flag("--webhook-retry-ms", webhook_retry_ms, "first wait before a failed webhook delivery is retried (doubles, up to 1 h)",
         "PROGRESSD_WEBHOOK_RETRY_MS")
        ->check(CLI::Range(1l, 3600000l));
    flag("--webhook-max-attempts", config.webhook_retry.max_attempts,
         "attempts per webhook delivery before the webhook is deactivated", "PROGRESSD_WEBHOOK_MAX_ATTEMPTS")
        ->check(CLI::Range(1u, 1000u));
    flag("--webhook-timeout-ms", webhook_timeout_ms, "deadline of one webhook delivery attempt", "PROGRESSD_WEBHOOK_TIMEOUT_MS")
        ->check(CLI::Range(1l, 600000l));
    std::string store_kind = "lmdb";
    long lease_ms = 5000;
    flag("--store", store_kind, "lmdb (embedded, one process) | postgres (a cluster node, docs/cluster.md)",
         "PROGRESSD_STORE")
        ->check(CLI::IsMember({"lmdb", "postgres"}));
    flag("--postgres-url", config.postgres_url, "--store postgres: libpq connection string or URI",
         "PROGRESSD_POSTGRES_URL");
    flag("--node-id", config.node_id, "--store postgres: this node's id, stable across restarts (default: HOST:PORT)",
         "PROGRESSD_NODE_ID");
    flag("--advertise-url", config.advertise_url,
         "--store postgres: how the other nodes reach this one (default: http:// + the listen address)",
         "PROGRESSD_ADVERTISE_URL");
    flag("--lease-ms", lease_ms, "--store postgres: partition lease, the same on every node", "PROGRESSD_LEASE_MS")
        ->check(CLI::Range(300l, 600000l));
    flag("--cache-max-bytes", config.cache_max_bytes,
         "--store postgres: evict cold users above this much memory (0: no bound)", "PROGRESSD_CACHE_MAX_BYTES");
    flag("--log-level", level, "trace | debug | info | warn | error", "PROGRESSD_LOG_LEVEL")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help and --version exit 0; every refused flag exits 2, as the checks below do, whatever
        // code CLI11 gives the kind of error: a service manager stops restarting on 2 alone.
        return app.exit(error) == 0 ? 0 : 2;
    }
    if (!split_listen(listen, config.listen_host, config.listen_port)) {
        std::fprintf(stderr, "--listen: expected HOST:PORT, got '%s'\n", listen.c_str());
        return 2;
    }
    config.agent_enabled = !agent_listen.empty();
    if (config.agent_enabled && !split_listen(agent_listen, config.agent_host, config.agent_port)) {
        std::fprintf(stderr, "--agent-listen: expected HOST:PORT, got '%s'\n", agent_listen.c_str());
        return 2;
    }
    if ((config.shards & (config.shards - 1)) != 0) {
        std::fprintf(stderr, "--shards: must be a power of two, got %zu\n", config.shards);
        return 2;
    }
    for (const auto& origin : config.cors_allow_origins) {
        if (auto problem = cors_policy::check_origin(origin)) {
            std::fprintf(stderr, "--cors-allow-origins: '%s': %s\n", origin.c_str(), problem->c_str());
            return 2;
        }
    }
    for (const auto& text : completion_rules) {
        auto rule = store::parse_completion_rule(text);
        if (!rule) {
            std::fprintf(stderr, "--completion-rule: expected default=, type:NAME= or mimetype:NAME= then "
                                 "furthest|coverage[:1-100], got '%s'\n", text.c_str());
            return 2;
        }
        if (rule->is_default) {
            config.default_completion_policy = rule->value.rule.policy;
            if (rule->has_threshold) config.completion_threshold = rule->value.rule.threshold;
        } else {
            if (!rule->has_threshold) rule->value.rule.threshold = -1;  // the global threshold, set below
            config.completion_overrides.push_back(std::move(rule->value));
        }
    }
    for (auto& item : config.completion_overrides) {
        if (item.rule.threshold < 0) item.rule.threshold = config.completion_threshold;
    }
    config.cluster = store_kind == "postgres";
    if (config.cluster && config.postgres_url.empty()) {
        std::fprintf(stderr, "--store postgres needs --postgres-url (or PROGRESSD_POSTGRES_URL)\n");
        return 2;
    }
    // Tokens one node signs (Skilljar ids, progress tokens) must verify on every other node.
    if (config.cluster && config.jwt_hs256_secret_file.empty()) {
        std::fprintf(stderr, "--store postgres needs --jwt-hs256-secret-file: every node must share one secret\n");
        return 2;
    }
    if (!config.advertise_url.empty() && config.advertise_url.rfind("http://", 0) != 0) {
        std::fprintf(stderr, "--advertise-url: expected http://HOST:PORT, got '%s'\n", config.advertise_url.c_str());
        return 2;
    }
    config.lease = std::chrono::milliseconds(lease_ms);
    config.durability = *store::parse_durability_mode(durability);
    config.log = *parse_log_level(level);
    config.flush_interval = std::chrono::milliseconds(flush_ms);
    config.checkpoint_interval = std::chrono::milliseconds(checkpoint_ms);
    config.drain = std::chrono::seconds(drain_s);
    config.drain_max = std::chrono::seconds(std::max(drain_s, drain_max_s));  // never shorter than the minimum
    config.load_hold = std::chrono::seconds(load_hold_s);
    config.idle_timeout = std::chrono::seconds(idle_s);
    config.request_timeout = std::chrono::seconds(request_s);
    config.lmdb_map_size = map_mb << 20;
    config.lmdb_max_map_size = max_map_mb << 20;
    config.webhook_retry.first_backoff = std::chrono::milliseconds(webhook_retry_ms);
    config.webhook_timeout = std::chrono::milliseconds(webhook_timeout_ms);
    return config;
}

}  // namespace progressd
