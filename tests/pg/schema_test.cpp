#include "store/postgres/schema.hpp"

#include "pg_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <future>
#include <vector>

using namespace progressd::store;
using progressd::testing::fresh_database;
using progressd::testing::postgres_installed;

namespace {

std::string scalar(connection& conn, std::string_view sql) {
    auto result = conn.exec(sql);
    BOOST_REQUIRE_MESSAGE(result.ok(), sql << ": " << (result.ok() ? "" : result.error().message));
    BOOST_REQUIRE(result->rows() == 1);
    return std::string(result->text(0, 0).value_or("NULL"));
}

int newest_version() { return schema_migrations().back().version; }

void require_whole_schema(connection& conn) {
    for (const char* table : {"schema_version", "records", "catalog", "enrolments", "assessments", "webhooks", "outbox",
                              "nodes", "partitions"}) {
        BOOST_TEST_CONTEXT(table) {
            BOOST_TEST(scalar(conn, "SELECT to_regclass('" + std::string(table) + "') IS NOT NULL") == "t");
        }
    }
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM schema_version") == std::to_string(newest_version()));
    BOOST_TEST(scalar(conn, "SELECT count(*) || ' ' || min(partition) || ' ' || max(partition) || ' ' || "
                            "count(owner) || ' ' || sum(epoch) FROM partitions") == "1024 0 1023 0 0");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_schema, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(steps_are_numbered_without_gaps) {
    const auto steps = schema_migrations();
    BOOST_REQUIRE(!steps.empty());
    for (std::size_t i = 0; i < steps.size(); ++i) BOOST_TEST(steps[i].version == static_cast<int>(i + 1));
}

BOOST_AUTO_TEST_CASE(migrates_an_empty_database_then_does_nothing) {
    auto conn = fresh_database();
    auto before = schema_version(conn);
    BOOST_REQUIRE(before.ok());
    BOOST_TEST(before.value() == 0);

    auto first = migrate(conn);
    BOOST_REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.error().message));
    BOOST_TEST(first.value() == newest_version());
    require_whole_schema(conn);

    // Data written between two starts is left alone by the second.
    BOOST_REQUIRE(conn.exec("UPDATE partitions SET owner = 'n1', epoch = 7 WHERE partition = 5").ok());
    auto second = migrate(conn);
    BOOST_REQUIRE(second.ok());
    BOOST_TEST(second.value() == newest_version());
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM schema_version") == std::to_string(newest_version()));
    BOOST_TEST(scalar(conn, "SELECT owner || epoch FROM partitions WHERE partition = 5") == "n17");
    BOOST_TEST(schema_version(conn).value() == newest_version());
}

// Nodes starting together: one migrates, the others wait on the advisory lock and find the work
// done. Without the lock, concurrent CREATE TABLEs fail or the steps run twice.
BOOST_AUTO_TEST_CASE(concurrent_migrators_migrate_once) {
    std::string conninfo;
    auto first = fresh_database(&conninfo);
    constexpr int nodes = 4;
    std::vector<connection> conns;
    conns.push_back(std::move(first));
    for (int i = 1; i < nodes; ++i) {
        auto opened = connection::open(conninfo);
        BOOST_REQUIRE(opened.ok());
        conns.push_back(std::move(opened).value());
    }
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<pg_outcome<int>>> results;
    for (auto& conn : conns) {
        results.push_back(std::async(std::launch::async, [&conn, start] {
            start.wait();
            return migrate(conn);
        }));
    }
    go.set_value();
    for (auto& result : results) {
        auto version = result.get();
        BOOST_TEST_REQUIRE(version.ok(), (version.ok() ? "" : version.error().message));
        BOOST_TEST(version.value() == newest_version());
    }
    require_whole_schema(conns.front());
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
    auto conn = fresh_database();
    BOOST_REQUIRE(migrate(conn).ok());
    const int future = newest_version() + 1;
    BOOST_REQUIRE(conn.exec("INSERT INTO schema_version (version, description) VALUES (" + std::to_string(future) +
                            ", 'from a newer build')")
                      .ok());
    auto refused = migrate(conn);
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(static_cast<int>(refused.error().code) == static_cast<int>(pg_errc::schema_too_new));
    BOOST_TEST(schema_version(conn).value() == future);
}

// A step that fails takes every step of the run with it, the version table included.
BOOST_AUTO_TEST_CASE(a_failing_step_applies_nothing) {
    auto conn = fresh_database();
    const std::array<migration, 2> steps{{{1, "good", "CREATE TABLE a (k int)"}, {2, "bad", "CREATE TABLE a (k int)"}}};
    auto failed = migrate(conn, steps);
    BOOST_REQUIRE(!failed.ok());
    BOOST_TEST(failed.error().sqlstate == "42P07");
    BOOST_TEST(failed.error().message.find("schema step 2") != std::string::npos);
    BOOST_TEST(scalar(conn, "SELECT to_regclass('a') IS NULL AND to_regclass('schema_version') IS NULL") == "t");

    // Later steps apply on top of earlier runs, one row per step.
    const std::array<migration, 1> one{{{1, "good", "CREATE TABLE a (k int)"}}};
    BOOST_REQUIRE(migrate(conn, one).ok());
    const std::array<migration, 2> two{{one[0], {2, "next", "ALTER TABLE a ADD COLUMN v text"}}};
    auto upgraded = migrate(conn, two);
    BOOST_REQUIRE(upgraded.ok());
    BOOST_TEST(upgraded.value() == 2);
    BOOST_TEST(scalar(conn, "SELECT string_agg(version || description, ',' ORDER BY version) FROM schema_version") ==
               "1good,2next");
}

BOOST_AUTO_TEST_SUITE_END()
