#pragma once
// progressctl verify [--repair]: reads every value of every database with the real decoders and
// reports the damaged ones by database and key (as redis-check-rdb does for an RDB file);
// --repair moves them into a quarantine file beside the data and deletes them from LMDB.

#include "tools/ctl_common.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace progressd::tools {

struct damaged_entry {
    database_id database = database_id::records;
    std::string key{};
    std::string value{};
    std::string reason{};
};

struct verify_summary {
    std::uint64_t checked = 0;
    std::vector<damaged_entry> damaged{};
};

// Checks every entry of every database present, inside `txn`. `release` is called now and then so
// a caller can drop the scanned pages from its resident set. Throws store::lmdb_error.
verify_summary verify_databases(MDB_txn* txn, const std::array<std::optional<MDB_dbi>, database_count>& databases,
                                const std::function<void()>& release);

// verify_databases over a data dir opened read-only (restore checks its backup with it).
verify_summary verify_data_dir(const std::string& data_dir);

void add_verify_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
