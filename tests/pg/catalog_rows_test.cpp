#include "store/postgres/catalog_rows.hpp"

#include "row_helpers.hpp"
#include "sample_rows.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/postgres/record_rows.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::catalog_shapes;
using progressd::testing::committed;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::scalar;

BOOST_AUTO_TEST_SUITE(pg_catalog_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly_in_id_order) {
    auto conn = migrated_database();
    auto shapes = catalog_shapes();
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_catalog(txn, shapes); }) == shapes.size());

    const auto loaded = required(load_catalog(conn));
    std::sort(shapes.begin(), shapes.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    BOOST_REQUIRE(loaded.size() == shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        BOOST_TEST_CONTEXT(shapes[i].id) {
            BOOST_TEST((loaded[i] == shapes[i]));
            BOOST_TEST(encode_catalog_entry(loaded[i]) == encode_catalog_entry(shapes[i]));  // doubles bit for bit
        }
    }
}

BOOST_AUTO_TEST_CASE(report_columns_hold_the_entry) {
    auto conn = migrated_database();
    const auto shapes = catalog_shapes();
    committed(conn, [&](transaction& txn) { return upsert_catalog(txn, shapes); });
    BOOST_TEST(scalar(conn, "SELECT type || '|' || parent_id || '|' || learned || '|' || updated_at FROM catalog "
                            "WHERE content_id = 'course-1'") == "course|program-1|true|1700000000123");
    // No parent is NULL, so IS NULL finds the top of the tree.
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM catalog WHERE parent_id IS NULL") == "3");
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM catalog WHERE parent_id = ''") == "0");
    BOOST_TEST(scalar(conn, "SELECT type FROM catalog WHERE content_id = 'x'") == "");
}

BOOST_AUTO_TEST_CASE(a_later_write_replaces_and_the_last_of_one_call_wins) {
    auto conn = migrated_database();
    auto first = catalog_shapes()[0];
    committed(conn, [&](transaction& txn) { return upsert_catalog(txn, std::span(&first, 1)); });

    auto second = first;
    second.title = "second";
    auto third = first;
    third.title = "third";
    third.parent_id.clear();
    const std::vector<content_entry> both{second, third};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_catalog(txn, both); }) == 1u);
    const auto loaded = required(load_catalog(conn));
    BOOST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST((loaded[0] == third));
    BOOST_TEST(scalar(conn, "SELECT parent_id IS NULL FROM catalog") == "t");
}

BOOST_AUTO_TEST_CASE(deletes_remove_only_what_they_name) {
    auto conn = migrated_database();
    const auto shapes = catalog_shapes();
    committed(conn, [&](transaction& txn) { return upsert_catalog(txn, shapes); });
    const std::vector<std::string_view> ids{"x", "never-written", "course-1", "x"};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_catalog(txn, ids); }) == 2u);
    const auto loaded = required(load_catalog(conn));
    BOOST_TEST(loaded.size() == shapes.size() - 2);
    for (const auto& entry : loaded) BOOST_TEST((entry.id != "x" && entry.id != "course-1"));
}

BOOST_AUTO_TEST_CASE(more_rows_than_one_statement_holds) {
    auto conn = migrated_database();
    std::vector<content_entry> entries(max_rows_per_statement * 2 + 7);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].id = "c" + std::to_string(100000 + i);
        entries[i].updated_at = static_cast<std::int64_t>(i);
    }
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_catalog(txn, entries); }) == entries.size());
    BOOST_TEST((required(load_catalog(conn)) == entries));

    std::vector<std::string_view> ids;
    for (const auto& entry : entries) ids.push_back(entry.id);
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_catalog(txn, ids); }) == entries.size());
    BOOST_TEST(required(load_catalog(conn)).empty());
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_it) {
    auto conn = migrated_database();
    BOOST_REQUIRE(conn.exec("INSERT INTO catalog VALUES ('broken', 'video', NULL, false, 0, '\\x01'::bytea)").ok());
    const auto loaded = load_catalog(conn);
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("broken") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
