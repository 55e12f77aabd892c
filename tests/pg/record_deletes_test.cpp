#include "store/postgres/record_deletes.hpp"

#include "row_helpers.hpp"
#include "sample_records.hpp"
#include "sample_rows.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/record_rows.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::assessment_shapes;
using progressd::testing::committed;
using progressd::testing::enrolment_shapes;
using progressd::testing::full_record;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;

namespace {

struct owned_row {
    std::string user_id;
    record_key key;
};

// Records c0…c<count-1> in contexts "" and "ctx" for each user.
void write_records(connection& conn, const std::vector<std::string>& users, int count) {
    std::vector<owned_row> owned;
    for (const auto& user : users) {
        for (int i = 0; i < count; ++i) owned.push_back({user, {i % 2 ? "ctx" : "", "c" + std::to_string(i)}});
    }
    const auto record = full_record(1);
    std::vector<record_row> rows;
    for (const auto& row : owned) rows.push_back({row.user_id, row.key, record});
    committed(conn, [&](transaction& txn) { return upsert_records(txn, rows); });
}

std::size_t records_of(connection& conn, std::string_view user_id) { return required(load_user(conn, user_id)).size(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_record_deletes, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(deletes_exactly_the_keys_named) {
    auto conn = migrated_database();
    write_records(conn, {"user-1", "user-2"}, 4);
    const std::vector<user_record_key> gone{
        {"user-1", "", "c0"},     // removed
        {"user-1", "ctx", "c0"},  // no such record: c0 is organic
        {"user-1", "ctx", "c3"},  // removed
        {"user-1", "ctx", "c3"},  // named twice
        {"user-3", "", "c2"},     // no such user
    };
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_records(txn, gone); }) == 2u);
    const auto left = required(load_user(conn, "user-1"));
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST((left[0].key == record_key{"", "c2"}));
    BOOST_TEST((left[1].key == record_key{"ctx", "c1"}));
    BOOST_TEST(records_of(conn, "user-2") == 4u);
}

BOOST_AUTO_TEST_CASE(deletes_more_keys_than_one_statement_holds) {
    auto conn = migrated_database();
    const int count = static_cast<int>(max_rows_per_statement) * 2 + 3;
    write_records(conn, {"user-1"}, count);
    std::vector<std::string> contents;
    for (int i = 0; i < count; ++i) contents.push_back("c" + std::to_string(i));
    std::vector<user_record_key> gone;
    for (int i = 0; i < count; ++i) gone.push_back({"user-1", i % 2 ? "ctx" : "", contents[static_cast<std::size_t>(i)]});
    BOOST_TEST(committed(conn, [&](transaction& txn) { return delete_records(txn, gone); }) == std::size_t(count));
    BOOST_TEST(records_of(conn, "user-1") == 0u);
}

BOOST_AUTO_TEST_CASE(a_rolled_back_delete_removes_nothing) {
    auto conn = migrated_database();
    write_records(conn, {"user-1"}, 3);
    {
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        const std::vector<user_record_key> gone{{"user-1", "", "c0"}};
        BOOST_TEST(required(delete_records(txn.value(), gone)) == 1u);
    }  // not committed
    BOOST_TEST(records_of(conn, "user-1") == 3u);
}

BOOST_AUTO_TEST_CASE(deleting_a_user_erases_their_records_enrolments_and_assessments_only) {
    auto conn = migrated_database();
    write_records(conn, {"user-1", "user-2"}, 5);
    const auto enrolments = enrolment_shapes();
    const auto states = assessment_shapes();
    const record_key quiz{"ctx", "quiz-1"};
    committed(conn, [&](transaction& txn) {
        std::vector<enrolment_row> rows;
        for (const auto& user : {"user-1", "user-2"}) {
            for (const auto& [key, value] : enrolments) rows.push_back({user, key, value});
        }
        return upsert_enrolments(txn, rows);
    });
    committed(conn, [&](transaction& txn) {
        const std::vector<assessment_row> rows{{"user-1", quiz, states[0]}, {"user-2", quiz, states[0]}};
        return upsert_assessments(txn, rows);
    });

    const auto erased = committed(conn, [&](transaction& txn) { return delete_user(txn, "user-1"); });
    BOOST_TEST(erased.records == 5u);
    BOOST_TEST(erased.enrolments == enrolments.size());
    BOOST_TEST(erased.assessments == 1u);
    BOOST_TEST(records_of(conn, "user-1") == 0u);
    BOOST_TEST(required(load_user_enrolments(conn, "user-1")).empty());
    BOOST_TEST(required(load_user_assessments(conn, "user-1")).empty());
    BOOST_TEST(records_of(conn, "user-2") == 5u);
    BOOST_TEST(required(load_user_enrolments(conn, "user-2")).size() == enrolments.size());
    BOOST_TEST(required(load_user_assessments(conn, "user-2")).size() == 1u);

    const auto again = committed(conn, [&](transaction& txn) { return delete_user(txn, "user-1"); });
    BOOST_TEST(again.records + again.enrolments + again.assessments == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
