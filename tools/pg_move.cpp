#include "tools/pg_move.hpp"

#include "store/persist/lmdb.hpp"
#include "store/persist/write_ahead_log.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/schema.hpp"
#include "tools/pg_move_copy.hpp"
#include "tools/pg_move_verify.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace progressd::tools {
namespace {

namespace fs = std::filesystem;

// The initial map of an exported environment: the server's default; it grows as the copy needs.
constexpr std::size_t initial_map_size = std::size_t{1} << 30;

constexpr const char* exit_codes_help =
    "Exit status: 0 copied and verified; 1 failed (LMDB, PostgreSQL, an entry that does not decode); "
    "2 bad flags; 3 refused (a server holds the data dir, the database already holds data and no --force, "
    "the target dir is not empty); "
    "4 the verification found differences. The cluster's nodes must be stopped.";

store::connection connect(const std::string& url) { return take(store::connection::open(url), "connect to PostgreSQL"); }

// Prints the counts and the verification's outcome; the exit status.
int report(std::string_view what, const verify_report& verified, std::chrono::steady_clock::time_point started) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%.*s in %.2f s\n", static_cast<int>(what.size()), what.data(), seconds);
    std::printf("  %-12s %12s %12s\n", "kind", "LMDB", "PostgreSQL");
    for (const auto& count : verified.counts) {
        std::printf("  %-12.*s %12llu %12llu\n", static_cast<int>(count.kind.size()), count.kind.data(),
                    static_cast<unsigned long long>(count.lmdb), static_cast<unsigned long long>(count.postgres));
    }
    std::fflush(stdout);
    if (verified.ok()) {
        std::printf("verified: %llu entries compared, every one equal\n", static_cast<unsigned long long>(verified.compared));
        return std::fflush(stdout) == 0 ? move_ok : move_failed;
    }
    std::cerr << "verification FAILED: " << verified.difference_count << " difference(s) in "
              << verified.compared << " entries compared\n";
    for (const auto& difference : verified.differences) std::cerr << "  " << difference << '\n';
    return move_verify_failed;
}

// Opens an existing data dir for pg-import, taking the server's lock on it (open_data_dir's flock:
// progressd holds it while it runs) and applying its write-ahead log as a server start would, so
// writes a crashed server left only there are moved too. nullopt (reported): refused.
std::optional<store::lmdb_environment> open_source(const std::string& data_dir) {
    if (!fs::exists(fs::path(data_dir) / "data.mdb")) {
        std::cerr << "progressctl pg-import: " << data_dir << " holds no data.mdb: not a progressd data dir\n";
        return std::nullopt;
    }
    try {
        auto environment = store::open_data_dir(data_dir, initial_map_size);
        store::replay_write_ahead_log(store::write_ahead_log_paths(data_dir), environment);
        return environment;
    } catch (const store::lmdb_error&) {
        throw;
    } catch (const std::runtime_error& error) {
        // The lock is taken (another progressd runs) or the format is another version's.
        std::cerr << "progressctl pg-import: " << error.what() << '\n';
        return std::nullopt;
    }
}

int run_pg_import(const pg_move_options& options) {
    const auto started = std::chrono::steady_clock::now();
    try {
        auto environment = open_source(options.data_dir);
        if (!environment) return move_refused;
        auto conn = connect(options.postgres_url);
        if (!options.verify_only) {
            take(store::migrate(conn), "migrate the schema");
            if (database_holds_data(conn)) {
                if (!options.force) {
                    std::cerr << "progressctl pg-import: the database already holds progress data; "
                                 "--force empties it first\n";
                    return move_refused;
                }
                clear_data_tables(conn);
            }
            import_environment(*environment, conn);
        }
        const auto verified = verify_move(*environment, conn);
        return report(options.verify_only ? "compared " + options.data_dir + " with PostgreSQL"
                                          : "imported " + options.data_dir + " into PostgreSQL",
                      verified, started);
    } catch (const std::exception& error) {
        std::cerr << "progressctl pg-import: " << error.what() << '\n';
        return move_failed;
    }
}

// An export writes only into a new or empty directory: never over a server's data.
bool usable_target(const std::string& data_dir) {
    std::error_code error;
    if (!fs::exists(data_dir, error)) return true;
    return fs::is_directory(data_dir, error) && fs::is_empty(data_dir, error);
}

int run_pg_export(const pg_move_options& options) {
    const auto started = std::chrono::steady_clock::now();
    try {
        if (!options.verify_only && !usable_target(options.data_dir)) {
            std::cerr << "progressctl pg-export: " << options.data_dir << " is not empty: export into a new directory\n";
            return move_refused;
        }
        if (options.verify_only && !fs::exists(fs::path(options.data_dir) / "data.mdb")) {
            std::cerr << "progressctl pg-export: " << options.data_dir << " holds no data.mdb\n";
            return move_refused;
        }
        auto conn = connect(options.postgres_url);
        // Read-only towards PostgreSQL: a database of another schema version is refused, not migrated.
        const int version = take(store::schema_version(conn), "read the schema version");
        if (version != store::schema_migrations().back().version) {
            std::cerr << "progressctl pg-export: the database is at schema version " << version << ", this build reads "
                      << store::schema_migrations().back().version << '\n';
            return move_failed;
        }
        std::optional<store::lmdb_environment> environment;
        try {
            environment.emplace(store::open_data_dir(options.data_dir, initial_map_size));
        } catch (const store::lmdb_error&) {
            throw;
        } catch (const std::runtime_error& error) {
            std::cerr << "progressctl pg-export: " << error.what() << '\n';
            return move_refused;
        }
        if (!options.verify_only) export_database(conn, *environment);
        const auto verified = verify_move(*environment, conn);
        return report(options.verify_only ? "compared PostgreSQL with " + options.data_dir
                                          : "exported PostgreSQL into " + options.data_dir,
                      verified, started);
    } catch (const std::exception& error) {
        std::cerr << "progressctl pg-export: " << error.what() << '\n';
        return move_failed;
    }
}

void add_common_options(CLI::App& command, pg_move_options& options) {
    command.add_option("--data-dir", options.data_dir, "the LMDB data dir")->required();
    command.add_option("--postgres-url", options.postgres_url, "libpq connection string or postgresql:// URL")
        ->envname("PROGRESSD_POSTGRES_URL")
        ->required();
    command.add_flag("--verify-only", options.verify_only, "write nothing: only compare the data dir with the database");
    command.footer(exit_codes_help);
}

}  // namespace

void add_pg_import_command(CLI::App& app, pg_move_options& options, std::function<int()>& action) {
    auto* command = app.add_subcommand(
        "pg-import", "copy a stopped server's data dir into PostgreSQL (schema migrated), then verify every entry");
    add_common_options(*command, options);
    command->add_flag("--force", options.force,
                      "empty the database's progress tables (not nodes or partitions) when they hold data");
    command->callback([&options, &action] { action = [&options] { return run_pg_import(options); }; });
}

void add_pg_export_command(CLI::App& app, pg_move_options& options, std::function<int()>& action) {
    auto* command = app.add_subcommand(
        "pg-export", "copy the PostgreSQL database into a new, empty data dir, then verify every entry");
    add_common_options(*command, options);
    command->callback([&options, &action] { action = [&options] { return run_pg_export(options); }; });
}

}  // namespace progressd::tools
