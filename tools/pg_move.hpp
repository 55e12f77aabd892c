#pragma once
// progressctl pg-import and pg-export: moving a stopped server's data between an LMDB data dir and
// the cluster's PostgreSQL database (docs/cluster.md, "Moving data in and out"), each followed by
// a verification that compares both sides entry by entry.
//
// Neither may run beside a server using either side: pg-import refuses a data dir whose lock a
// progressd holds (the same flock open_data_dir takes), and the cluster's nodes must be stopped
// by the operator (nothing here can see them).

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace progressd::tools {

// Exit statuses of both commands (also in their --help).
inline constexpr int move_ok = 0;
inline constexpr int move_failed = 1;        // LMDB or PostgreSQL failed, or a value did not decode
inline constexpr int move_usage = 2;         // bad flags
inline constexpr int move_refused = 3;       // a server holds the data dir, the target is not empty
inline constexpr int move_verify_failed = 4;  // copied, but the two sides differ

struct pg_move_options {
    std::string data_dir;
    std::string postgres_url;
    bool force = false;        // pg-import: empty the database's data tables first
    bool verify_only = false;  // compare only, write nothing
};

// Registers the subcommand; its parse callback sets `action` to run it.
void add_pg_import_command(CLI::App& app, pg_move_options& options, std::function<int()>& action);
void add_pg_export_command(CLI::App& app, pg_move_options& options, std::function<int()>& action);

}  // namespace progressd::tools
