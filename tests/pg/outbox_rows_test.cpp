#include "store/postgres/outbox_rows.hpp"

#include "row_helpers.hpp"
#include "sample_rows.hpp"
#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::committed;
using progressd::testing::delivery_shapes;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::scalar;

namespace {

struct owned_delivery {
    std::string key;
    delivery value;
};

std::vector<owned_delivery> sample_outbox() {
    std::vector<owned_delivery> out;
    for (auto& value : delivery_shapes()) out.push_back({event_outbox::key_of(value.event, value.webhook_id), value});
    return out;
}

std::vector<delivery_row> rows_of(const std::vector<owned_delivery>& deliveries) {
    std::vector<delivery_row> rows;
    for (const auto& d : deliveries) rows.push_back({d.key, d.value});
    return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_outbox_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly_in_due_order) {
    auto conn = migrated_database();
    const auto outbox = sample_outbox();
    const auto rows = rows_of(outbox);
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_deliveries(txn, rows); }) == rows.size());

    const auto loaded = required(load_outbox(conn));
    BOOST_REQUIRE(loaded.size() == outbox.size());
    // Due first: e3 (the earliest time there is), e4 (0), e1, e2.
    const std::vector<std::size_t> due_order{2, 3, 0, 1};
    for (std::size_t i = 0; i < due_order.size(); ++i) {
        const auto& wanted = outbox[due_order[i]];
        BOOST_TEST_CONTEXT(wanted.key) {
            BOOST_TEST(loaded[i].key == wanted.key);
            BOOST_TEST((loaded[i].value == wanted.value));
        }
    }
}

BOOST_AUTO_TEST_CASE(deliveries_due_at_once_come_in_key_order) {
    auto conn = migrated_database();
    auto outbox = sample_outbox();
    std::vector<owned_delivery> same_time;
    for (const char* id : {"e9", "e10", "E1", "e-"}) {
        auto value = outbox[0].value;
        value.event.id = id;
        same_time.push_back({event_outbox::key_of(value.event, value.webhook_id), value});
    }
    const auto rows = rows_of(same_time);
    committed(conn, [&](transaction& txn) { return upsert_deliveries(txn, rows); });
    std::vector<std::string> keys;
    for (const auto& d : required(load_outbox(conn))) keys.push_back(d.key);
    // Bytewise, whatever the database's collation: '-' < 'E' < 'e', "e10" < "e9".
    BOOST_TEST(keys == (std::vector<std::string>{"E1/hook-a", "e-/hook-a", "e10/hook-a", "e9/hook-a"}));
}

BOOST_AUTO_TEST_CASE(report_columns_hold_the_delivery) {
    auto conn = migrated_database();
    const auto outbox = sample_outbox();
    const auto rows = rows_of(outbox);
    committed(conn, [&](transaction& txn) { return upsert_deliveries(txn, rows); });
    BOOST_TEST(scalar(conn, "SELECT partition || '|' || webhook_id || '|' || event_id || '|' || attempts || '|' || "
                            "next_attempt_at FROM outbox WHERE delivery_key = 'e2/hook-b'") ==
               std::to_string(partition_of("user-2")) + "|hook-b|e2|3|1700000009000");
    // Past what int4 holds, the report column says its maximum; the payload keeps the count.
    BOOST_TEST(scalar(conn, "SELECT attempts FROM outbox WHERE delivery_key = 'e3/hook-a'") == "2147483647");
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM outbox WHERE webhook_id = 'hook-a'") == "2");
}

BOOST_AUTO_TEST_CASE(a_later_write_replaces_and_deletes_remove_only_what_they_name) {
    auto conn = migrated_database();
    const auto outbox = sample_outbox();
    const auto rows = rows_of(outbox);
    committed(conn, [&](transaction& txn) { return upsert_deliveries(txn, rows); });

    auto retried = outbox[0].value;
    retried.attempts = 1;
    retried.next_attempt_at += 2000;
    retried.last_error = "timeout";
    const std::vector<delivery_row> update{{outbox[0].key, outbox[1].value}, {outbox[0].key, retried}};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_deliveries(txn, update); }) == 1u);
    BOOST_TEST(scalar(conn, "SELECT attempts FROM outbox WHERE delivery_key = 'e1/hook-a'") == "1");

    const std::vector<std::string_view> gone{"e2/hook-b", "e2/hook-a", "e3/hook-a"};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_deliveries(txn, gone); }) == 2u);
    const auto left = required(load_outbox(conn));
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST(left[0].key == outbox[3].key);
    BOOST_TEST(left[1].key == outbox[0].key);
    BOOST_TEST((left[1].value == retried));
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_it) {
    auto conn = migrated_database();
    BOOST_REQUIRE(conn.exec("INSERT INTO outbox VALUES ('ev/hook-q', 0, 'hook-q', 'ev', 0, 0, '\\x01'::bytea)").ok());
    const auto loaded = load_outbox(conn);
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("ev/hook-q") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
