#include "tools/ctl_inspect.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/persist/write_ahead_log.hpp"
#include "tools/ctl_json.hpp"
#include "tools/lmdb_scan.hpp"

#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

namespace progressd::tools {
namespace {

struct inspect_options {
    std::string data_dir = "./data";
    bool json = false;
};

// The report as ordered (name, JSON value text) pairs: printed as `name value` lines, or as one
// JSON object, from the same facts.
using report = std::vector<std::pair<std::string, std::string>>;

std::string json_quoted(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::int64_t file_size(const std::string& path, bool& present) {
    struct stat info {};
    present = ::stat(path.c_str(), &info) == 0;
    return present ? static_cast<std::int64_t>(info.st_size) : 0;
}

void add_counts(report& out, const read_only_data_dir& dir) {
    // Users: distinct user ids among the records' keys, which sort by user (one pass over keys).
    std::int64_t records = 0;
    std::int64_t users = 0;
    if (const auto dbi = dir.database(database_id::records)) {
        std::string last_user;
        scan_database(dir.txn(), *dbi, [&](std::string_view key, std::string_view) {
            ++records;
            const std::string_view user = key.substr(0, key.find('\0'));
            if (users == 0 || user != last_user) {
                ++users;
                last_user.assign(user);
            }
            if (records % entries_between_releases == 0) dir.release_pages();
        });
    }
    std::int64_t catalog_entries = 0;
    std::int64_t collections = 0;
    if (const auto dbi = dir.database(database_id::catalog)) {
        scan_database(dir.txn(), *dbi, [&](std::string_view key, std::string_view value) {
            ++catalog_entries;
            const auto entry = store::decode_catalog_entry(key, value);
            if (entry && !entry->children.empty()) ++collections;
        });
    }
    const auto entries = [&dir](database_id id) -> std::int64_t {
        const auto dbi = dir.database(id);
        MDB_stat stat{};
        if (!dbi || mdb_stat(dir.txn(), *dbi, &stat) != MDB_SUCCESS) return 0;
        return static_cast<std::int64_t>(stat.ms_entries);
    };
    out.emplace_back("records", std::to_string(records));
    out.emplace_back("users", std::to_string(users));
    out.emplace_back("catalog_entries", std::to_string(catalog_entries));
    out.emplace_back("collections", std::to_string(collections));
    out.emplace_back("enrolments", std::to_string(entries(database_id::enrolments)));
    out.emplace_back("assessments", std::to_string(entries(database_id::assessments)));
    out.emplace_back("webhooks", std::to_string(entries(database_id::webhooks)));
    out.emplace_back("outbox_deliveries", std::to_string(entries(database_id::outbox)));
}

void add_sizes(report& out, const read_only_data_dir& dir, const std::string& data_dir) {
    bool present = false;
    out.emplace_back("file_bytes", std::to_string(file_size(data_dir + "/data.mdb", present)));
    MDB_envinfo info{};
    MDB_stat env_stat{};
    mdb_env_info(dir.env(), &info);
    mdb_env_stat(dir.env(), &env_stat);
    out.emplace_back("map_bytes", std::to_string(info.me_mapsize));
    out.emplace_back("page_bytes", std::to_string(env_stat.ms_psize));
    out.emplace_back("pages_used", std::to_string(info.me_last_pgno + 1));
    out.emplace_back("readers", std::to_string(info.me_numreaders));
    for (std::size_t i = 0; i < database_count; ++i) {
        const auto dbi = dir.database(static_cast<database_id>(i));
        MDB_stat stat{};
        if (dbi && mdb_stat(dir.txn(), *dbi, &stat) != MDB_SUCCESS) throw std::runtime_error("mdb_stat failed");
        const std::string prefix = "db." + std::string(database_names[i]) + ".";
        out.emplace_back(prefix + "present", dbi ? "true" : "false");
        out.emplace_back(prefix + "entries", std::to_string(stat.ms_entries));
        out.emplace_back(prefix + "pages", std::to_string(stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages));
        out.emplace_back(prefix + "depth", std::to_string(stat.ms_depth));
    }
}

void add_log(report& out, const read_only_data_dir& dir, const std::string& data_dir) {
    const auto paths = store::write_ahead_log_paths(data_dir);
    bool any = false;
    std::int64_t bytes = 0;
    for (const auto& path : paths) {
        bool present = false;
        bytes += file_size(path, present);
        any = any || present;
    }
    std::uint64_t checkpoint = 0;
    const auto marker = dir.meta("wal_checkpoint");
    if (marker && marker->size() == sizeof checkpoint) std::memcpy(&checkpoint, marker->data(), sizeof checkpoint);
    // Frames the server has not yet checkpointed into LMDB: applied at its next start if it stops
    // now (a running server's own checkpoints move them meanwhile).
    const auto pending = store::peek_write_ahead_log(paths, checkpoint);
    out.emplace_back("wal.present", any ? "true" : "false");
    out.emplace_back("wal.bytes", std::to_string(bytes));
    out.emplace_back("wal.checkpoint_sequence", marker ? std::to_string(checkpoint) : "null");
    out.emplace_back("wal.pending_frames", std::to_string(pending.frames));
    out.emplace_back("wal.pending_changes", std::to_string(pending.changes));
    out.emplace_back("wal.last_sequence", std::to_string(pending.last_sequence));
}

int run_inspect(const inspect_options& options) {
    report out;
    out.reserve(64);  // also keeps GCC 12's -Warray-bounds from a false report on the first emplace_back
    try {
        const read_only_data_dir dir(options.data_dir);
        const auto version = dir.meta("format_version");
        out.emplace_back("data_dir", json_quoted(options.data_dir));
        out.emplace_back("format_version", version ? json_quoted(*version) : "null");
        const auto holder = data_dir_holder(options.data_dir);
        out.emplace_back("server_pid", holder ? std::to_string(*holder) : "null");
        struct stat info {};
        if (::stat((options.data_dir + "/data.mdb").c_str(), &info) == 0) {
            // LMDB records no commit time: the file's modification time is the last commit's.
            out.emplace_back("last_write_at_ms", std::to_string(std::int64_t(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000));
        }
        add_counts(out, dir);
        add_sizes(out, dir, options.data_dir);
        add_log(out, dir, options.data_dir);
    } catch (const std::exception& error) {
        std::cerr << "progressctl inspect: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    if (options.json) {
        std::string text = "{";
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (i > 0) text += ',';
            append_json_string(text, out[i].first);
            text += ':';
            text += out[i].second;
        }
        std::cout << text << "}\n";
    } else {
        for (const auto& [name, value] : out) std::cout << name << ' ' << value << '\n';
    }
    return std::cout.flush() ? ctl_ok : ctl_cannot_run;
}

}  // namespace

void add_inspect_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<inspect_options>();
    auto* command = app.add_subcommand("inspect",
                                       "print a data dir's format, counts, sizes and write-ahead log state (read-only; "
                                       "safe while a server runs)");
    command->footer(std::string("Output: one `name value` line per fact (values as JSON: numbers, true/false, "
                                "null, quoted strings), or one JSON object with --json.\n") + ctl_exit_codes);
    command->add_option("--data-dir", options->data_dir, "the server's data dir")
        ->envname("PROGRESSD_DATA_DIR")
        ->capture_default_str();
    command->add_flag("--json", options->json, "one JSON object instead of lines");
    command->callback([options, &action] { action = [options] { return run_inspect(*options); }; });
}

}  // namespace progressd::tools
