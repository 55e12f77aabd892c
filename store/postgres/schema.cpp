#include "store/postgres/schema.hpp"

#include "store/postgres/transaction.hpp"

#include <charconv>
#include <string>

namespace progressd::store {
namespace {

constexpr std::string_view create_version_table =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version integer PRIMARY KEY,"
    " description text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

pg_outcome<int> read_version(connection& conn) {
    auto result = conn.exec("SELECT coalesce(max(version), 0)::text FROM schema_version");
    if (!result) return result.error();
    const auto text = result->text(0, 0);
    int version = 0;
    if (!text || std::from_chars(text->data(), text->data() + text->size(), version).ec != std::errc{}) {
        return pg_error{pg_errc::malformed_row, {}, "schema_version holds no readable version"};
    }
    return version;
}

}  // namespace

pg_outcome<int> schema_version(connection& conn) {
    auto exists = conn.exec("SELECT to_regclass('schema_version') IS NOT NULL");
    if (!exists) return exists.error();
    if (exists->text(0, 0) != "t") return 0;
    return read_version(conn);
}

pg_outcome<int> migrate(connection& conn) { return migrate(conn, schema_migrations()); }

pg_outcome<int> migrate(connection& conn, std::span<const migration> steps) {
    auto txn = transaction::begin(conn);
    if (!txn) return txn.error();
    // Held until the transaction ends: a second node starting now waits here, then reads the
    // version this one leaves.
    query_params lock;
    lock.add_int64(schema_lock_key);
    if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1::int8)", lock); !locked) return locked.error();
    if (auto created = conn.exec(create_version_table); !created) return created.error();

    auto current = read_version(conn);
    if (!current) return current.error();
    const int newest = steps.empty() ? 0 : steps.back().version;
    if (current.value() > newest) {
        return pg_error{pg_errc::schema_too_new, {},
                        "the database's schema is at version " + std::to_string(current.value()) +
                            ", newer than this build's " + std::to_string(newest)};
    }
    for (const migration& step : steps) {
        if (step.version <= current.value()) continue;
        if (auto applied = conn.exec(step.sql); !applied) {
            pg_error error = applied.error();
            error.message = "schema step " + std::to_string(step.version) + ": " + error.message;
            return error;  // the guard rolls every step back
        }
        query_params row;
        row.add_text(std::to_string(step.version));
        row.add_text(step.description);
        auto recorded = conn.exec("INSERT INTO schema_version (version, description) VALUES ($1::int4, $2::text)", row);
        if (!recorded) return recorded.error();
    }
    if (auto committed = txn->commit(); !committed) return committed.error();
    return newest;
}

}  // namespace progressd::store
