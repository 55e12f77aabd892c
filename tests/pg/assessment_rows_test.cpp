#include "store/postgres/assessment_rows.hpp"

#include "row_helpers.hpp"
#include "sample_rows.hpp"
#include "store/codec/assessment_codec.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::assessment_shapes;
using progressd::testing::committed;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::scalar;

namespace {

// The shapes under keys in byte order: ("", q0), ("ctx", q1), ("ctx", q2)…
std::vector<record_key> keys_for(std::size_t count) {
    std::vector<record_key> keys;
    for (std::size_t i = 0; i < count; ++i) keys.push_back({i == 0 ? "" : "ctx", "quiz-" + std::to_string(i)});
    return keys;
}

// One of user-1's rows per shape, under its key (views into both).
std::vector<assessment_row> user_1_rows(const std::vector<assessment_state>& shapes,
                                        const std::vector<record_key>& keys) {
    std::vector<assessment_row> rows;
    for (std::size_t i = 0; i < shapes.size(); ++i) rows.push_back({"user-1", keys[i], shapes[i]});
    return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_assessment_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly_per_user_in_key_order) {
    auto conn = migrated_database();
    const auto shapes = assessment_shapes();
    const auto keys = keys_for(shapes.size());
    auto rows = user_1_rows(shapes, keys);
    rows.push_back({"user-2", keys[0], shapes[1]});
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_assessments(txn, rows); }) == rows.size());

    const auto loaded = required(load_user_assessments(conn, "user-1"));
    BOOST_REQUIRE(loaded.size() == shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        BOOST_TEST_CONTEXT(keys[i].context_id << "/" << keys[i].content_id) {
            BOOST_TEST((loaded[i].key == keys[i]));
            BOOST_TEST((loaded[i].state == shapes[i]));
            BOOST_TEST(encode_assessment_state(loaded[i].state) == encode_assessment_state(shapes[i]));
        }
    }
    const auto other = required(load_user_assessments(conn, "user-2"));
    BOOST_REQUIRE(other.size() == 1u);
    BOOST_TEST((other[0].state == shapes[1]));
}

BOOST_AUTO_TEST_CASE(report_columns_hold_the_quiz_figures) {
    auto conn = migrated_database();
    const auto shapes = assessment_shapes();
    const auto keys = keys_for(shapes.size());
    const auto rows = user_1_rows(shapes, keys);
    committed(conn, [&](transaction& txn) { return upsert_assessments(txn, rows); });
    BOOST_TEST(scalar(conn, "SELECT attempt_count || '|' || best_score || '|' || passed FROM assessments "
                            "WHERE content_id = 'quiz-0'") == "1|7.5|true");
    // Folded attempts count, and their best score and verdict still show.
    BOOST_TEST(scalar(conn, "SELECT attempt_count || '|' || best_score || '|' || passed FROM assessments "
                            "WHERE content_id = 'quiz-1'") == "4000000000|99.25|true");
    BOOST_TEST(scalar(conn, "SELECT attempt_count || '|' || best_score || '|' || passed FROM assessments "
                            "WHERE content_id = 'quiz-3'") == "2|0|false");
}

BOOST_AUTO_TEST_CASE(a_later_write_replaces_and_deletes_remove_only_what_they_name) {
    auto conn = migrated_database();
    const auto shapes = assessment_shapes();
    const auto keys = keys_for(shapes.size());
    const auto rows = user_1_rows(shapes, keys);
    committed(conn, [&](transaction& txn) { return upsert_assessments(txn, rows); });

    const std::vector<assessment_row> update{{"user-1", keys[0], shapes[2]}, {"user-1", keys[0], shapes[3]}};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return upsert_assessments(txn, update); }) == 1u);
    BOOST_TEST((required(load_user_assessments(conn, "user-1"))[0].state == shapes[3]));

    const std::vector<user_record_key> gone{{"user-1", "ctx", "quiz-1"}, {"user-1", "", "quiz-1"}, {"user-2", "ctx", "quiz-2"}};
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_assessments(txn, gone); }) == 1u);
    BOOST_TEST(required(load_user_assessments(conn, "user-1")).size() == shapes.size() - 1);
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_it) {
    auto conn = migrated_database();
    BOOST_REQUIRE(conn.exec("INSERT INTO assessments VALUES (1, 'u', '', 'quiz-x', 1, 0, false, '\\x0102'::bytea)").ok());
    const auto loaded = load_user_assessments(conn, "u");
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("quiz-x") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
