#include "store/postgres/node_registry.hpp"

#include "membership_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace progressd::store;
using progressd::testing::membership_db;
using progressd::testing::owners;
using progressd::testing::postgres_installed;
using progressd::testing::test_lease;

namespace {

std::vector<std::string> live_ids(connection& conn, std::chrono::milliseconds lease) {
    auto nodes = live_nodes(conn, lease);
    BOOST_REQUIRE(nodes.ok());
    std::vector<std::string> ids;
    for (const auto& node : *nodes) ids.push_back(node.node_id);
    return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_node_registry, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(a_heartbeat_registers_and_refreshes_the_node, membership_db) {
    BOOST_TEST(live_ids(conn, test_lease).empty());
    BOOST_REQUIRE(heartbeat(conn, "node-b", "http://b:1").ok());
    BOOST_REQUIRE(heartbeat(conn, "node-a", "http://a:1").ok());
    BOOST_REQUIRE(heartbeat(conn, "node-a", "http://a:2").ok());  // a restart may advertise anew
    auto nodes = live_nodes(conn, test_lease);
    BOOST_REQUIRE(nodes.ok());
    BOOST_REQUIRE(nodes->size() == 2u);
    BOOST_TEST(nodes->at(0).node_id == "node-a");
    BOOST_TEST(nodes->at(0).advertise_url == "http://a:2");
    BOOST_TEST(nodes->at(1).node_id == "node-b");
}

// Live means a heartbeat younger than the lease, on the database's clock.
BOOST_FIXTURE_TEST_CASE(a_node_without_heartbeat_is_no_longer_live_after_the_lease, membership_db) {
    BOOST_REQUIRE(heartbeat(conn, "silent", "http://s").ok());
    BOOST_REQUIRE(heartbeat(conn, "beating", "http://b").ok());
    BOOST_TEST(live_ids(conn, test_lease) == (std::vector<std::string>{"beating", "silent"}));
    std::this_thread::sleep_for(test_lease + std::chrono::milliseconds(50));
    BOOST_REQUIRE(heartbeat(conn, "beating", "http://b").ok());
    BOOST_TEST(live_ids(conn, test_lease) == std::vector<std::string>{"beating"});
    // The row stays (started_at, its last heartbeat): only liveness changed.
    auto rows = conn.exec("SELECT count(*)::text FROM nodes");
    BOOST_REQUIRE(rows.ok());
    BOOST_TEST(*rows->text(0, 0) == "2");
}

BOOST_FIXTURE_TEST_CASE(leave_removes_the_node_and_releases_its_partitions, membership_db) {
    BOOST_REQUIRE(heartbeat(conn, "leaver", "http://l").ok());
    BOOST_REQUIRE(heartbeat(conn, "stayer", "http://s").ok());
    BOOST_REQUIRE(conn.exec("UPDATE partitions SET owner = CASE WHEN partition < 10 THEN 'leaver' ELSE 'stayer' END, "
                            "epoch = 4, lease_until = now() + interval '1 minute' WHERE partition < 20")
                      .ok());
    BOOST_REQUIRE(leave(conn, "leaver").ok());
    BOOST_TEST(live_ids(conn, test_lease) == std::vector<std::string>{"stayer"});
    const auto rows = owners(conn);
    for (std::uint32_t p = 0; p < 20; ++p) {
        BOOST_TEST_CONTEXT("partition " << p) {
            BOOST_TEST(rows[p].epoch == 4);  // a release keeps the epoch; the next owner's increments it
            if (p < 10) {
                BOOST_TEST(!rows[p].owner.has_value());
            } else {
                BOOST_TEST(rows[p].owner.value_or("") == "stayer");
            }
        }
    }
    auto leases = conn.exec("SELECT count(*)::text FROM partitions WHERE lease_until IS NOT NULL");
    BOOST_REQUIRE(leases.ok());
    BOOST_TEST(*leases->text(0, 0) == "10");
    BOOST_TEST(leave(conn, "never-joined").ok());  // nothing to do is not an error
}

BOOST_AUTO_TEST_SUITE_END()
