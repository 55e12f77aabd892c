#pragma once
// The copying halves of pg-import and pg-export, streamed: entries travel in chunks of about
// move_chunk (a PostgreSQL transaction, or an LMDB write transaction, each), so neither side is
// ever held whole in memory. The verification is pg_move_verify.hpp's.

#include "store/persist/lmdb.hpp"
#include "store/postgres/connection.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace progressd::tools {

inline constexpr std::size_t move_chunk = 1000;

// Entries copied, per kind, in moved_kinds' order.
using move_counts = std::array<std::uint64_t, 6>;

// Writes every entry of the environment into the (migrated) database with apply_batch, a
// transaction per chunk. Throws std::runtime_error (or store::lmdb_error) with what failed; an
// entry that does not decode fails the import, naming it.
move_counts import_environment(const store::lmdb_environment& environment, store::connection& conn);

// True when a table the import writes holds a row.
bool database_holds_data(store::connection& conn);
// Empties those tables (not the membership tables) in one transaction: pg-import --force.
void clear_data_tables(store::connection& conn);

// Writes every row of the database into the environment, encoded with the codecs the persister
// uses, in one read-only snapshot of the database. Throws with what failed.
move_counts export_database(store::connection& conn, store::lmdb_environment& environment);

}  // namespace progressd::tools
