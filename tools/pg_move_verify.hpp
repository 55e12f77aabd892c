#pragma once
// The check after a move between LMDB and PostgreSQL: both sides hold the same entries, kind by
// kind. Counts are compared first (mdb_stat against count(*)), then every entry: each LMDB value is
// decoded and encoded again with its codec, each PostgreSQL row loaded with the functions the nodes
// use and encoded with the same codec, and the bytes compared. So an entry matches only when every
// field does, and an LMDB value written by an older codec version still compares by its content.
//
// Streaming: one user's rows (records, enrolments, assessment states) are in memory at a time,
// besides the whole catalog, webhook list and outbox as PostgreSQL hands them (the nodes load those
// whole too).

#include "store/persist/lmdb.hpp"
#include "store/postgres/connection.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::tools {

struct kind_count {
    std::string_view kind;  // the LMDB database and PostgreSQL table of that name
    std::uint64_t lmdb = 0;
    std::uint64_t postgres = 0;
};

struct verify_report {
    std::vector<kind_count> counts;
    std::uint64_t compared = 0;            // LMDB entries compared with their row
    std::uint64_t difference_count = 0;    // entries missing on a side or differing
    std::vector<std::string> differences;  // the first few, described
    bool ok() const { return difference_count == 0; }
};

// Compares the environment with the database. Throws std::runtime_error (or store::lmdb_error) when
// either side cannot be read or an entry does not decode.
verify_report verify_move(const store::lmdb_environment& environment, store::connection& conn);

// Throws std::runtime_error with `what` and the error when `outcome` failed; its value otherwise.
template <class Outcome>
auto take(Outcome&& outcome, std::string_view what) {
    if (!outcome) throw std::runtime_error(std::string(what) + ": " + outcome.error().message);
    return std::move(outcome).value();
}

// The kinds, in the order both commands move and report them.
inline constexpr std::string_view moved_kinds[] = {"records", "catalog", "enrolments", "assessments", "webhooks", "outbox"};

}  // namespace progressd::tools
