#pragma once
// What the row suites share: a migrated database of their own, a committed write, and a scalar
// read back for checking the report columns.

#include "pg_fixture.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/transaction.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>

namespace progressd::testing {

inline store::connection migrated_database() {
    auto conn = fresh_database();
    auto migrated = store::migrate(conn);
    BOOST_REQUIRE_MESSAGE(migrated.ok(), (migrated.ok() ? "" : migrated.error().message));
    return conn;
}

// Runs `write(txn)` (returning a pg_outcome) in a transaction and commits it; its value.
template <class Write>
auto committed(store::connection& conn, Write write) {
    auto txn = store::transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    auto outcome = write(txn.value());
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.error().message));
    BOOST_REQUIRE(txn->commit().ok());
    return std::move(outcome).value();
}

// The outcome's value, failing the test with its error otherwise.
template <class Outcome>
auto required(Outcome outcome) {
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.error().message));
    return std::move(outcome).value();
}

inline std::string scalar(store::connection& conn, const std::string& sql) {
    auto result = conn.exec(sql);
    BOOST_REQUIRE_MESSAGE(result.ok(), sql << ": " << (result.ok() ? "" : result.error().message));
    BOOST_REQUIRE_MESSAGE(result->rows() == 1, sql << ": " << result->rows() << " rows");
    return std::string(result->text(0, 0).value_or("NULL"));
}

}  // namespace progressd::testing
