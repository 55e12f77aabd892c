#include "store/postgres/transaction.hpp"

#include "pg_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace progressd::store;
using progressd::testing::fresh_database;
using progressd::testing::postgres_installed;

namespace {

std::string count_rows(connection& conn) {
    auto result = conn.exec("SELECT count(*)::text FROM t");
    BOOST_REQUIRE(result.ok());
    return std::string(result->text(0, 0).value());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_transaction, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(rolls_back_unless_committed) {
    auto conn = fresh_database();
    BOOST_REQUIRE(conn.exec("CREATE TABLE t (k int PRIMARY KEY)").ok());
    {
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        BOOST_REQUIRE(conn.exec("INSERT INTO t VALUES (1)").ok());
    }  // dropped: rolled back
    BOOST_TEST(count_rows(conn) == "0");
    {
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        BOOST_REQUIRE(conn.exec("INSERT INTO t VALUES (2)").ok());
        BOOST_TEST(txn->commit().ok());
        BOOST_TEST(!txn->open());
    }
    BOOST_TEST(count_rows(conn) == "1");
}

// After a failed statement PostgreSQL answers COMMIT with ROLLBACK: that must be an error.
BOOST_AUTO_TEST_CASE(a_failed_transaction_does_not_commit) {
    auto conn = fresh_database();
    BOOST_REQUIRE(conn.exec("CREATE TABLE t (k int PRIMARY KEY)").ok());
    auto txn = transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    BOOST_REQUIRE(conn.exec("INSERT INTO t VALUES (1)").ok());
    BOOST_TEST(!conn.exec("INSERT INTO t VALUES (1)").ok());
    auto committed = txn->commit();
    BOOST_REQUIRE(!committed.ok());
    BOOST_TEST(committed.error().sqlstate == "25P02");
    BOOST_TEST(count_rows(conn) == "0");
}

BOOST_AUTO_TEST_SUITE_END()
