#pragma once
// What the data-dir subcommands of progressctl (inspect, verify, export, import, restore) share:
// their exit statuses, a read-only view of a data dir that works beside a running server, the
// data dir's lock, and the byte helpers their outputs use.

#include "common/file_descriptor.hpp"
#include "store/persist/lmdb.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::tools {

// Exit statuses of inspect, verify, export, import and restore (also in their --help).
inline constexpr int ctl_ok = 0;
inline constexpr int ctl_problem = 1;  // it ran and found a problem: damaged values, a failed write
inline constexpr int ctl_cannot_run = 2;  // bad flags, no data dir, a server holds the dir, I/O failed
inline constexpr const char* ctl_exit_codes = "exit: 0 ok, 1 found a problem, 2 usage error or cannot run";

using command_action = std::function<int()>;

// How many entries a scan reads between two read_only_data_dir::release_pages calls (one madvise
// each): under 1 MiB of records at ~200 bytes each, so a scan's resident set stays small whatever
// the file's size.
inline constexpr std::uint64_t entries_between_releases = 4096;

// The named databases, in the order the tools report them; `meta` last.
enum class database_id : std::uint8_t { records, catalog, enrolments, assessments, webhooks, outbox, meta };
inline constexpr std::size_t database_count = 7;
inline constexpr std::array<std::string_view, database_count> database_names = {
    "records", "catalog", "enrolments", "assessments", "webhooks", "outbox", "meta"};
std::optional<database_id> database_by_name(std::string_view name);

// A data dir's LMDB environment opened read-only (MDB_RDONLY), without taking the server's lock,
// creating nothing and never resizing the map, with one read transaction held for the view's life:
// every read sees the state after one commit, while a server may keep writing beside it (LMDB
// readers never block its writer). The transaction pins its snapshot's pages, so a server writing
// meanwhile grows the file instead of reusing them: keep a view only for one command.
class read_only_data_dir {
public:
    // Throws std::runtime_error (no data.mdb) or store::lmdb_error.
    explicit read_only_data_dir(const std::string& data_dir);
    read_only_data_dir(const read_only_data_dir&) = delete;
    read_only_data_dir& operator=(const read_only_data_dir&) = delete;
    ~read_only_data_dir();

    MDB_env* env() const { return env_; }
    MDB_txn* txn() const { return txn_.get(); }
    // Null when the data dir predates that database (it then holds nothing).
    std::optional<MDB_dbi> database(database_id id) const { return dbis_[static_cast<std::size_t>(id)]; }
    // The value of a `meta` key, empty when absent.
    std::optional<std::string> meta(std::string_view key) const;
    // Drops the map's pages from this process's resident set (they stay in the page cache): a scan
    // of the whole file would otherwise count every page in the tool's RSS. Often: each page fault
    // also maps the cached pages around it (the kernel's fault-around, 64 KiB), so a database whose
    // pages lie scattered among another's maps ~16 pages per page it reads.
    void release_pages() const;

private:
    std::string data_dir_;
    MDB_env* env_ = nullptr;
    store::lmdb_transaction txn_;
    std::array<std::optional<MDB_dbi>, database_count> dbis_{};
    mutable bool map_found_ = false;
    mutable std::vector<std::pair<std::uintptr_t, std::uintptr_t>> maps_{};  // the map's address ranges
};

// The server's lock on `data_dir` (store::lock_data_dir); nullopt with `why` set when a server (or
// another writing tool) holds it or it cannot be taken.
std::optional<file_descriptor> try_lock_data_dir(const std::string& data_dir, std::string& why);

// The pid of the process holding the server's lock on `data_dir` (read from /proc/locks, so taking
// nothing: a server starting meanwhile is never disturbed); nullopt when none holds it.
std::optional<long> data_dir_holder(const std::string& data_dir);

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);
std::string to_base64(std::string_view bytes);

// "2026-12-07T04:09:18Z" for now, and "20261207T040918Z" for file names.
std::string utc_now_iso8601();
std::string utc_now_compact();

}  // namespace progressd::tools
