// progressctl: the operator's command-line tool for progressd.
//
// One subcommand per job. Each has an options struct, an add_<name>_command function that
// registers its flags (with the same names and environment variables as the server's, so one
// environment serves both) and a run_<name> function that does the work and returns the exit
// status. Adding a subcommand means adding one such pair and one line in main.

#include "common/clock.hpp"
#include "handlers/auth/jwt.hpp"
#include "handlers/auth/secret_file.hpp"
#include "store/ids.hpp"
#include "store/persist/backup.hpp"
#include "tools/ctl_agent.hpp"
#include "tools/ctl_common.hpp"
#include "tools/ctl_stats.hpp"
#include "tools/ctl_export.hpp"
#include "tools/ctl_import.hpp"
#include "tools/ctl_inspect.hpp"
#include "tools/ctl_poke.hpp"
#include "tools/ctl_restore.hpp"
#include "tools/ctl_verify.hpp"
#include "tools/pg_move.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

namespace progressd {
namespace {

// token and backup exit as the data-dir subcommands do (tools/ctl_common.hpp): 0 ok, 2 when
// they could not run (bad flags, a refused target, an I/O failure).
using tools::ctl_cannot_run;
using tools::ctl_ok;

// The subcommand chosen on the command line, set by its parse callback.
using command_action = std::function<int()>;

// --- token -----------------------------------------------------------------------------------

struct token_options {
    std::string user;
    std::string data_dir = "./data";
    std::string secret_file;  // empty: <data_dir>/jwt-hs256.secret, created if absent
    std::int64_t ttl_seconds = 86400;
};

// Mints an HS256 token for a user with the server's secret. When the server has not run yet the
// secret is created here, exactly as the server would create it, so the token works on first start.
int run_token(const token_options& options) {
    if (!store::is_valid_id(options.user)) {
        std::cerr << "progressctl token: --user must be 1-128 characters from [A-Za-z0-9._:@-]\n";
        return ctl_cannot_run;
    }
    try {
        const auto secret = options.secret_file.empty() ? auth::load_or_create_hs256_secret(options.data_dir)
                                                        : auth::load_hs256_secret(options.secret_file);
        const std::int64_t now = wall_clock_ms() / 1000;
        std::cout << auth::sign_hs256(secret, options.user, now, now + options.ttl_seconds) << '\n';
    } catch (const std::exception& error) {
        std::cerr << "progressctl token: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    return std::cout.flush() ? ctl_ok : ctl_cannot_run;
}

void add_token_command(CLI::App& app, token_options& options, command_action& action) {
    auto* command = app.add_subcommand("token", "print a signed HS256 user token (JWT) for --user");
    command->add_option("--user", options.user, "user id: the token's `sub`")->required();
    command->add_option("--data-dir", options.data_dir, "the server's data dir (holds the generated secret)")
        ->envname("PROGRESSD_DATA_DIR")
        ->capture_default_str();
    command->add_option("--jwt-hs256-secret-file", options.secret_file, "HS256 secret file (default: generated in the data dir)")
        ->envname("PROGRESSD_JWT_HS256_SECRET_FILE");
    // Upper bound: ten years, far from any overflow of iat + ttl.
    command->add_option("--ttl-seconds", options.ttl_seconds, "lifetime of the token")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 366 * 86400))
        ->capture_default_str();
    command->callback([&options, &action] { action = [&options] { return run_token(options); }; });
}

// --- backup ----------------------------------------------------------------------------------

struct backup_options {
    std::string data_dir = "./data";
    std::string target_dir;
};

// A consistent, compacted copy of the LMDB environment, safe while the server runs. Restore by
// starting progressd with --data-dir pointing at the copy (plus the secret files you keep).
int run_backup(const backup_options& options) {
    try {
        store::backup_data_dir(options.data_dir, options.target_dir);
    } catch (const std::exception& error) {
        std::cerr << "progressctl backup: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    std::cout << "backed up " << options.data_dir << " to " << options.target_dir << '\n';
    return ctl_ok;
}

void add_backup_command(CLI::App& app, backup_options& options, command_action& action) {
    auto* command = app.add_subcommand("backup", "copy the data dir's LMDB environment, consistently, while serving");
    command->add_option("--data-dir", options.data_dir, "the server's data dir")
        ->envname("PROGRESSD_DATA_DIR")
        ->capture_default_str();
    command->add_option("--to", options.target_dir, "directory for the copy (created; must not hold a data.mdb)")
        ->required();
    command->callback([&options, &action] { action = [&options] { return run_backup(options); }; });
}

// ---------------------------------------------------------------------------------------------

int run(int argc, char** argv) {
    CLI::App app{"progressctl: operator tool for progressd"};
    app.require_subcommand(1);
    command_action action;

    token_options token;
    add_token_command(app, token, action);
    backup_options backup;
    add_backup_command(app, backup, action);
    tools::pg_move_options pg_import;
    tools::add_pg_import_command(app, pg_import, action);
    tools::pg_move_options pg_export;
    tools::add_pg_export_command(app, pg_export, action);
    tools::add_availability_command(app, action);
    tools::add_inspect_command(app, action);
    tools::add_verify_command(app, action);
    tools::add_export_command(app, action);
    tools::add_import_command(app, action);
    tools::add_restore_command(app, action);
    tools::add_poke_command(app, action);
    tools::add_stats_command(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help is a ParseError too, exiting 0.
        return app.exit(error) == 0 ? ctl_ok : ctl_cannot_run;
    }
    return action ? action() : ctl_cannot_run;
}

}  // namespace
}  // namespace progressd

int main(int argc, char** argv) { return progressd::run(argc, argv); }
