#include "store/postgres/webhook_rows.hpp"

#include "row_helpers.hpp"
#include "sample_rows.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::committed;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::scalar;
using progressd::testing::webhook_shapes;

BOOST_AUTO_TEST_SUITE(pg_webhook_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly_in_id_order) {
    auto conn = migrated_database();
    const auto shapes = webhook_shapes();  // in id order
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_webhooks(txn, shapes); }) == shapes.size());
    const auto loaded = required(load_webhooks(conn));
    BOOST_REQUIRE(loaded.size() == shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) BOOST_TEST_CONTEXT(shapes[i].id) { BOOST_TEST((loaded[i] == shapes[i])); }
}

BOOST_AUTO_TEST_CASE(report_columns_hold_the_webhook) {
    auto conn = migrated_database();
    const auto shapes = webhook_shapes();
    committed(conn, [&](transaction& txn) { return upsert_webhooks(txn, shapes); });
    BOOST_TEST(scalar(conn, "SELECT target_url || '|' || active || '|' || created_at FROM webhooks "
                            "WHERE webhook_id = 'hook-a'") == shapes[0].target_url + "|true|1700000000000");
    BOOST_TEST(scalar(conn, "SELECT string_agg(webhook_id, ',') FROM webhooks WHERE NOT active") == "hook-c");
}

BOOST_AUTO_TEST_CASE(a_later_write_replaces_and_deletes_remove_only_what_they_name) {
    auto conn = migrated_database();
    const auto shapes = webhook_shapes();
    committed(conn, [&](transaction& txn) { return upsert_webhooks(txn, shapes); });
    auto deactivated = shapes[0];
    deactivated.active = false;
    deactivated.deactivate_reason = "gone";
    const std::vector<webhook> update{shapes[1], deactivated};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_webhooks(txn, update); }) == 2u);
    BOOST_TEST((required(load_webhooks(conn))[0] == deactivated));
    BOOST_TEST(scalar(conn, "SELECT active FROM webhooks WHERE webhook_id = 'hook-a'") == "f");

    const std::vector<std::string_view> gone{"hook-b", "hook-z"};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_webhooks(txn, gone); }) == 1u);
    const auto left = required(load_webhooks(conn));
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST(left[0].id == "hook-a");
    BOOST_TEST(left[1].id == "hook-c");
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_it) {
    auto conn = migrated_database();
    BOOST_REQUIRE(conn.exec("INSERT INTO webhooks VALUES ('hook-broken', 'http://x', true, 0, '\\x02'::bytea)").ok());
    const auto loaded = load_webhooks(conn);
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("hook-broken") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
