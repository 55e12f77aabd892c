// progressd: wires configuration, auth, the store, the persister and the server together.

#include "app/database.hpp"
#include "common/clock.hpp"
#include "common/large_allocations.hpp"
#include "common/log.hpp"
#include "handlers/auth/api_keys.hpp"
#include "handlers/auth/authenticator.hpp"
#include "handlers/auth/jwt.hpp"
#include "handlers/auth/secret_file.hpp"
#include "handlers/json/catalog_json.hpp"
#include "handlers/router.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "server/thread_priority.hpp"
#include "server/webhook_sender.hpp"
#include "store/persist/lmdb.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace progressd {
namespace {

// A start refused for its settings (a file a flag names that cannot be read or parsed): exit 2,
// like a bad flag, so that a service manager does not restart it in a loop.
class settings_refused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string load_hs256_secret(const server_config& config) {
    return config.jwt_hs256_secret_file.empty() ? auth::load_or_create_hs256_secret(config.data_dir)
                                                : auth::load_hs256_secret(config.jwt_hs256_secret_file);
}

auth::authenticator make_authenticator(const server_config& config, std::string secret) {
    auto public_key = config.jwt_rs256_public_key_file.empty() ? std::string() : read_file(config.jwt_rs256_public_key_file);
    auto keys = config.api_keys_file.empty() ? auth::api_keys() : auth::api_keys::load(config.api_keys_file);
    return auth::authenticator(auth::jwt_verifier(std::move(secret), std::move(public_key)), std::move(keys));
}

// What the flags name, read before anything listens: the secrets, the API keys, the catalog.
struct settings_files {
    std::string hs256_secret;
    std::optional<auth::authenticator> authenticator;
    std::vector<store::content_entry> catalog_file;
};

settings_files read_settings_files(const server_config& config) {
    settings_files files;
    try {
        files.hs256_secret = load_hs256_secret(config);
        files.authenticator.emplace(make_authenticator(config, files.hs256_secret));
    } catch (const std::exception& error) {
        throw settings_refused(error.what());
    }
    if (!config.catalog_file.empty()) {
        try {
            files.catalog_file = parse_catalog_file(read_file(config.catalog_file));
        } catch (const std::exception& error) {
            throw settings_refused("--catalog " + config.catalog_file + ": " + error.what());
        }
    }
    return files;
}

int serve(const server_config& config, const logger& log) {
    std::filesystem::create_directories(config.data_dir);
    auto files = read_settings_files(config);
    const std::string& hs256_secret = files.hs256_secret;
    const auto& authenticator = *files.authenticator;
    std::vector<store::content_entry>& catalog_file = files.catalog_file;

    const app::database_options options{
        .data_dir = config.data_dir,
        .shards = config.shards,
        .rules = {config.completion_threshold, config.default_completion_policy, config.completion_overrides},
        .durability = config.durability,
        .flush_interval = config.flush_interval,
        .checkpoint_interval = config.checkpoint_interval,
        .lmdb_max_map_size = config.lmdb_max_map_size,
        .webhook_retry = config.webhook_retry};
    // A cluster node keeps nothing in the data dir: LMDB is opened only for the embedded store.
    std::optional<store::lmdb_environment> environment;
    if (!config.cluster) environment.emplace(store::open_data_dir(config.data_dir, config.lmdb_map_size));
    app::database data = config.cluster
        ? app::database(app::cluster_options{.conninfo = config.postgres_url,
                                             .node_id = config.node_id,
                                             .advertise_url = config.advertise_url,
                                             .lease = config.lease,
                                             .cache_max_bytes = config.cache_max_bytes},
                        options, log)
        : app::database(*environment, options, log);
    if (const auto& replayed = data.replayed(); replayed.frames > 0) {
        log.info("write_ahead_log_replayed",
                 {{"frames", std::int64_t(replayed.frames)}, {"changes", std::int64_t(replayed.changes)}});
    }
    webhook_sender sender(data.webhooks(), data.outbox(), data.persister(), log,
                          {.attempt_timeout = config.webhook_timeout});
    server_status status;
    std::vector<std::unique_ptr<thread_metrics>> metrics;
    services context{data, status, metrics, derive_progress_token_key(hs256_secret)};

    router routes(authenticator);
    register_all_routes(routes, context);
    for (unsigned i = 0; i < config.threads; ++i) metrics.push_back(std::make_unique<thread_metrics>(routes.route_count()));

    server http_server(config, routes, context, log, metrics);
    const std::string address = http_server.start();
    data.listening_on(address);

    // Liveness answers while the store loads; readiness says 503, API requests wait for it
    // (--load-hold-seconds, server/load_gate.hpp).
    bool load_failed = false;
    std::thread loader([&] {
        try {
            const auto recovered = data.recover();
            // The file is applied over what LMDB held: it wins for the ids it names.
            const std::size_t file_entries = catalog_file.size();
            if (!catalog_file.empty()) data.catalog().put_all(std::move(catalog_file), wall_clock_ms());
            // Threads started from here on (the persister first) inherit this thread's nice value. Not
            // in sync mode: there every write waits for the persister, which is then the request path.
            const bool background_persister = config.durability == store::durability_mode::snapshot;
            if (background_persister && config.persister_nice > 0 && !set_this_thread_nice(config.persister_nice)) {
                log.warn("persister_nice_failed", {{"nice", std::int64_t(config.persister_nice)}});
            }
            data.start();
            sender.start();
            status.loaded.store(true, std::memory_order_release);
            http_server.store_loaded();
            log.info("ready", {{"listen", std::string_view(address)},
                               {"agent_listen", std::string_view(http_server.agent_address())},
                               {"records", std::int64_t(recovered.records.records)},
                               {"corrupt_records_skipped", std::int64_t(recovered.records.corrupt)},
                               {"catalog_entries", std::int64_t(data.catalog().snapshot()->size())},
                               {"catalog_file_entries", std::int64_t(file_entries)},
                               {"corrupt_catalog_entries_skipped", std::int64_t(recovered.catalog.corrupt)},
                               {"enrolments", std::int64_t(recovered.enrolments.records)},
                               {"corrupt_enrolments_skipped", std::int64_t(recovered.enrolments.corrupt)},
                               {"assessments", std::int64_t(recovered.assessments.records)},
                               {"corrupt_assessments_skipped", std::int64_t(recovered.assessments.corrupt)},
                               {"webhooks", std::int64_t(recovered.webhooks.records)},
                               {"pending_webhook_deliveries", std::int64_t(recovered.outbox.records)},
                               {"corrupt_webhook_entries_skipped",
                                std::int64_t(recovered.webhooks.corrupt + recovered.outbox.corrupt)},
                               {"recovery_ms", std::int64_t(recovered.records.duration.count())},
                               {"durability", config.durability == store::durability_mode::sync ? "sync" : "snapshot"},
                               {"threads", std::int64_t(config.threads)}});
        } catch (const std::exception& error) {
            log.error("recovery_failed", {{"error", std::string_view(error.what())}});
            load_failed = true;
            http_server.request_stop();
        }
    });
    http_server.run();
    loader.join();
    sender.stop();  // before the last flush, so the outbox it leaves is the one written
    const bool flushed = data.stop();
    log.info("stopped", {{"records", std::int64_t(data.records().stats().records)}, {"all_flushed", flushed}});
    return load_failed || !flushed ? 1 : 0;
}

}  // namespace
}  // namespace progressd

int main(int argc, char** argv) {
    progressd::return_large_allocations_to_the_system();
    auto parsed = progressd::parse_config(argc, argv);
    if (auto* exit_code = std::get_if<int>(&parsed)) return *exit_code;
    const auto& config = std::get<progressd::server_config>(parsed);
    const progressd::logger log(config.log);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return progressd::serve(config, log);
    } catch (const progressd::settings_refused& error) {
        log.error("settings_refused", {{"error", std::string_view(error.what())}});
        return 2;
    } catch (const std::exception& error) {
        log.error("fatal", {{"error", std::string_view(error.what())}});
        return 1;
    }
}
