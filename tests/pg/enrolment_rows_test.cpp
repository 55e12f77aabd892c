#include "store/postgres/enrolment_rows.hpp"

#include "row_helpers.hpp"
#include "sample_rows.hpp"
#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::committed;
using progressd::testing::enrolment_shapes;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::scalar;

namespace {

std::vector<enrolment_row> rows_of(std::string_view user_id,
                                   const std::vector<std::pair<enrolment_key, enrolment>>& enrolments) {
    std::vector<enrolment_row> rows;
    for (const auto& [key, value] : enrolments) rows.push_back({user_id, key, value});
    return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_enrolment_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly_per_user_in_key_order) {
    auto conn = migrated_database();
    const auto shapes = enrolment_shapes();
    auto rows = rows_of("user-1", shapes);
    rows.push_back({"user-2", shapes[1].first, shapes[1].second});
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_enrolments(txn, rows); }) == shapes.size() + 1);

    const auto loaded = required(load_user_enrolments(conn, "user-1"));
    BOOST_REQUIRE(loaded.size() == shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {  // the shapes are in key order already
        BOOST_TEST_CONTEXT(shapes[i].first.collection_id << "/" << shapes[i].first.context_id) {
            BOOST_TEST((loaded[i].key == shapes[i].first));
            BOOST_TEST((loaded[i].value == shapes[i].second));
        }
    }
    BOOST_TEST(required(load_user_enrolments(conn, "user-2")).size() == 1u);
    BOOST_TEST(required(load_user_enrolments(conn, "nobody")).empty());
}

BOOST_AUTO_TEST_CASE(report_columns_hold_the_enrolment) {
    auto conn = migrated_database();
    const auto shapes = enrolment_shapes();
    const auto rows = rows_of("user-1", shapes);
    committed(conn, [&](transaction& txn) { return upsert_enrolments(txn, rows); });
    BOOST_TEST(scalar(conn, "SELECT DISTINCT partition FROM enrolments") == std::to_string(partition_of("user-1")));
    // Never expiring is NULL; -1 is a time like any other.
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM enrolments WHERE expires_at IS NULL") == "2");
    BOOST_TEST(scalar(conn, "SELECT expires_at FROM enrolments WHERE collection_id = 'course-3'") == "-1");
    BOOST_TEST(scalar(conn, "SELECT active || '|' || implicit || '|' || enrolled_at || '|' || updated_at "
                            "FROM enrolments WHERE collection_id = 'course-2'") == "false|true|5|6");
    // Who follows a collection: the index's question.
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM enrolments WHERE collection_id = 'course-1'") == "2");
}

BOOST_AUTO_TEST_CASE(a_later_write_replaces_and_deletes_remove_only_what_they_name) {
    auto conn = migrated_database();
    const auto shapes = enrolment_shapes();
    committed(conn, [&](transaction& txn) {
        const auto rows = rows_of("user-1", shapes);
        return upsert_enrolments(txn, rows);
    });
    enrolment changed = shapes[0].second;
    changed.active = false;
    changed.updated_at = 99;
    const std::vector<enrolment_row> update{{"user-1", shapes[0].first, shapes[1].second},
                                            {"user-1", shapes[0].first, changed}};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_enrolments(txn, update); }) == 1u);
    BOOST_TEST((required(load_user_enrolments(conn, "user-1"))[0].value == changed));

    const std::vector<user_enrolment_key> gone{{"user-1", "course-1", "batch-7"},
                                               {"user-1", "course-1", "other"},
                                               {"user-9", "course-1", ""},
                                               {"user-1", "course-3", ""}};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_enrolments(txn, gone); }) == 2u);
    const auto left = required(load_user_enrolments(conn, "user-1"));
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST((left[0].key == shapes[0].first));
    BOOST_TEST((left[1].key == shapes[2].first));
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_it) {
    auto conn = migrated_database();
    // 0 is written as NULL, so a 0 was not written by progressd.
    BOOST_REQUIRE(conn.exec("INSERT INTO enrolments VALUES (1, 'u', 'course-x', '', 0, 0, true, false, 0)").ok());
    const auto loaded = load_user_enrolments(conn, "u");
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("course-x") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
