#pragma once
// The versioned schema (docs/cluster.md, "Schema"). The database records the steps applied in
// `schema_version`; at start-up every node runs migrate(), which applies the steps the database
// lacks, in order, in one transaction, under a transaction-scoped advisory lock: when several
// nodes start at once, one migrates and the others wait for it, then find nothing left to do.
// Either every missing step is applied or none is (PostgreSQL's DDL is transactional).
//
// A step, once released, is never edited: a change is a new step at the end of the list. A
// database migrated by a newer build (a version this build does not know) is refused rather than
// written with assumptions that no longer hold.

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace progressd::store {

struct migration {
    int version;  // 1, 2, 3…: the list's order, without gaps
    std::string_view description;
    std::string_view sql;  // one or more statements
};

// Every step, oldest first (migrations.cpp).
std::span<const migration> schema_migrations();

// The advisory lock migrate() holds: "progress" in ASCII, so it is recognisable in pg_locks.
inline constexpr std::int64_t schema_lock_key = 8102661169684509555;

// Brings the database to the newest version; returns that version. Must not run inside a
// transaction of the caller's.
pg_outcome<int> migrate(connection& conn);
// The same with another list of steps (the tests' failing and future steps).
pg_outcome<int> migrate(connection& conn, std::span<const migration> steps);

// The version the database is at (0: never migrated).
pg_outcome<int> schema_version(connection& conn);

}  // namespace progressd::store
