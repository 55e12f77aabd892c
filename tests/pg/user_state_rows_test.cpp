#include "store/postgres/user_state_rows.hpp"

#include "row_helpers.hpp"
#include "sample_records.hpp"
#include "user_state_samples.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

using namespace progressd::store;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::require_same;
using progressd::testing::required;
using progressd::testing::sample_state;
using progressd::testing::write_state;

BOOST_AUTO_TEST_SUITE(pg_user_state_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(one_statement_reads_what_the_three_loads_read_in_their_orders) {
    auto conn = migrated_database();
    const auto sample = sample_state();
    write_state(conn, "user-1", sample);
    write_state(conn, "user-2", sample);  // another user's rows stay out

    const auto state = required(load_user_state(conn, "user-1"));
    const auto records = required(load_user(conn, "user-1"));
    const auto enrolments = required(load_user_enrolments(conn, "user-1"));
    const auto assessments = required(load_user_assessments(conn, "user-1"));
    BOOST_TEST(records.size() == sample.records.size());
    BOOST_TEST(enrolments.size() == sample.enrolments.size());
    BOOST_TEST(assessments.size() == sample.assessments.size());

    BOOST_REQUIRE(state.records.size() == records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        BOOST_TEST_CONTEXT("record " << records[i].key.context_id << "/" << records[i].key.content_id) {
            BOOST_TEST((state.records[i].key == records[i].key));
            require_same(state.records[i].record, records[i].record);
        }
    }
    BOOST_REQUIRE(state.enrolments.size() == enrolments.size());
    for (std::size_t i = 0; i < enrolments.size(); ++i) {
        BOOST_TEST((state.enrolments[i].key == enrolments[i].key));
        BOOST_TEST((state.enrolments[i].value == enrolments[i].value));
    }
    BOOST_REQUIRE(state.assessments.size() == assessments.size());
    for (std::size_t i = 0; i < assessments.size(); ++i) {
        BOOST_TEST((state.assessments[i].key == assessments[i].key));
        BOOST_TEST((state.assessments[i].state == assessments[i].state));
    }
}

BOOST_AUTO_TEST_CASE(what_was_written_comes_back_exactly) {
    auto conn = migrated_database();
    const auto sample = sample_state();
    write_state(conn, "user-1", sample);
    const auto state = required(load_user_state(conn, "user-1"));
    BOOST_REQUIRE(state.records.size() == sample.records.size());
    for (const auto& [key, record] : sample.records) {
        const auto found = std::find_if(state.records.begin(), state.records.end(),
                                        [&](const loaded_record& loaded) { return loaded.key == key; });
        BOOST_REQUIRE(found != state.records.end());
        require_same(found->record, record);
    }
    // Byte order: "" < "B" < "a" < "é" whatever the database's collation.
    BOOST_TEST(state.records.front().key.context_id == "");
    BOOST_TEST(state.records.back().key.context_id == "é");
    for (const auto& [key, value] : sample.enrolments) {
        const auto found = std::find_if(state.enrolments.begin(), state.enrolments.end(),
                                        [&](const loaded_enrolment& loaded) { return loaded.key == key; });
        BOOST_REQUIRE(found != state.enrolments.end());
        BOOST_TEST((found->value == value));
    }
    BOOST_REQUIRE(state.assessments.size() == sample.assessments.size());
}

BOOST_AUTO_TEST_CASE(a_user_with_nothing_loads_empty) {
    auto conn = migrated_database();
    write_state(conn, "user-1", sample_state());
    BOOST_TEST(required(load_user_state(conn, "nobody")).empty());
    BOOST_TEST(required(load_user_state(conn, "user-")).empty());
}

BOOST_AUTO_TEST_CASE(a_row_that_does_not_decode_fails_the_load_naming_its_table_and_key) {
    auto conn = migrated_database();
    write_state(conn, "user-1", sample_state());
    BOOST_REQUIRE(conn.exec("UPDATE assessments SET payload = '\\x09'::bytea WHERE content_id = 'quiz-1'").ok());
    const auto loaded = load_user_state(conn, "user-1");
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("assessments row (user-1, B, quiz-1)") != std::string::npos,
               loaded.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
