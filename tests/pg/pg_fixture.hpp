#pragma once
// What the PostgreSQL suites share: one server for the whole test binary (started on first use,
// stopped at exit: a start costs about a second, a database per test case a few milliseconds),
// and the rule that decides whether they run.
//
// They run wherever PostgreSQL 15 is installed. Without it they are skipped, saying why, except
// in CI (CI=true), where a missing server must fail the build rather than pass it silently.

#include "pg_server.hpp"
#include "store/postgres/connection.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace progressd::testing {

inline pg_server& shared_pg() {
    static const std::unique_ptr<pg_server> server = std::make_unique<pg_server>();
    return *server;
}

// The suites' precondition (boost::unit_test::precondition).
struct postgres_installed {
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
        if (!postgres_bin_dir().empty()) return true;
        const char* ci = std::getenv("CI");
        if (ci && std::string_view(ci) == "true") return true;  // runs, and fails saying what is missing
        boost::test_tools::assertion_result skipped(false);
        skipped.message() << "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/initdb): "
                             "tools/setup installs it";
        return skipped;
    }
};

// A connection to a new, empty database of the shared server.
inline store::connection fresh_database(std::string* conninfo_out = nullptr) {
    const std::string conninfo = shared_pg().create_database();
    if (conninfo_out) *conninfo_out = conninfo;
    auto opened = store::connection::open(conninfo);
    BOOST_REQUIRE_MESSAGE(opened.ok(), "connect: " << (opened.ok() ? "" : opened.error().message));
    return std::move(opened).value();
}

}  // namespace progressd::testing
