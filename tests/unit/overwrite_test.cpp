#include "store/overwrite.hpp"

#include "store/codec/record_codec.hpp"
#include "store/merge.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

using namespace progressd::store;

namespace {

int status_of(const progress_record& record) { return static_cast<int>(record.status); }

progress_record completed_record() {
    progress_record record;
    record.status = progress_status::completed;
    record.progress_percent = 100;
    record.completed_at = 500;
    record.first_accessed_at = 100;
    return record;
}

// A completed record whose resume point is at `position` of a 100-second content.
progress_record completed_at_position(double position) {
    auto record = completed_record();
    record.position_seconds = position;
    record.duration_seconds = 100;
    mark_watched(record.watched, 0, 100, 100);
    return record;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(overwrite_suite)

BOOST_AUTO_TEST_CASE(an_empty_write_only_touches_updated_at) {
    progress_record record;
    overwrite_record(record, {}, 1000);
    BOOST_TEST(status_of(record) == 0);
    BOOST_TEST(record.updated_at == 1000);
    BOOST_TEST(record.first_accessed_at == 0);
    BOOST_TEST(record.last_accessed_at == 0);
    BOOST_TEST(!record.annotations);
}

BOOST_AUTO_TEST_CASE(progress_starts_a_record) {
    progress_record record;
    overwrite_record(record, {.progress_percent = 40.0, .position_seconds = 12.0}, 1000);
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.progress_percent == 40.0);
    BOOST_TEST(record.position_seconds == 12.0);
    BOOST_TEST(record.first_accessed_at == 1000);
    BOOST_TEST(record.last_accessed_at == 1000);
}

BOOST_AUTO_TEST_CASE(lower_percent_uncompletes) {
    auto record = completed_record();
    overwrite_record(record, {.progress_percent = 30.0}, 1000);
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.progress_percent == 30.0);
    BOOST_TEST(record.completed_at == 0);
    BOOST_TEST(record.first_accessed_at == 100);
}

BOOST_AUTO_TEST_CASE(explicit_status_wins_and_completed_reports_100) {
    progress_record record;
    overwrite_record(record, {.status = progress_status::completed, .progress_percent = 20.0}, 1000);
    BOOST_TEST(status_of(record) == 2);
    BOOST_TEST(record.progress_percent == 100.0);
    BOOST_TEST(record.completed_at == 1000);
    // completed_at is kept by a second completion.
    overwrite_record(record, {.status = progress_status::completed}, 2000);
    BOOST_TEST(record.completed_at == 1000);
    overwrite_record(record, {.status = progress_status::not_started, .progress_percent = 0.0}, 3000);
    BOOST_TEST(status_of(record) == 0);
    BOOST_TEST(record.completed_at == 0);
    BOOST_TEST(record.progress_percent == 0.0);
}

BOOST_AUTO_TEST_CASE(full_percent_without_status_completes) {
    progress_record record;
    overwrite_record(record, {.progress_percent = 100.0}, 1000);
    BOOST_TEST(status_of(record) == 2);
    BOOST_TEST(record.completed_at == 1000);
}

BOOST_AUTO_TEST_CASE(an_explicit_completion_time_is_kept) {
    progress_record record;
    overwrite_record(record, {.status = progress_status::completed, .completed_at = 400}, 1000);
    BOOST_TEST(status_of(record) == 2);
    BOOST_TEST(record.completed_at == 400);
    BOOST_TEST(record.updated_at == 1000);
    BOOST_TEST(record.last_accessed_at == 1000);
    // Never started after it was completed.
    BOOST_TEST(record.first_accessed_at == 400);

    // A completed record takes a stated time too (a correction), but not a time-less completion.
    overwrite_record(record, {.status = progress_status::completed, .completed_at = 700}, 2000);
    BOOST_TEST(record.completed_at == 700);
    BOOST_TEST(record.first_accessed_at == 400);  // earlier than the completion: left alone
    overwrite_record(record, {.status = progress_status::completed}, 3000);
    BOOST_TEST(record.completed_at == 700);

    // Completing by percent takes it as well.
    progress_record by_percent;
    overwrite_record(by_percent, {.progress_percent = 100.0, .completed_at = 600}, 1000);
    BOOST_TEST(by_percent.completed_at == 600);
}

BOOST_AUTO_TEST_CASE(a_completion_time_without_a_completion_changes_nothing) {
    auto record = completed_record();
    // Un-completing clears completed_at whatever time comes with it.
    overwrite_record(record, {.status = progress_status::in_progress, .completed_at = 400}, 1000);
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.completed_at == 0);
    BOOST_TEST(record.first_accessed_at == 100);

    progress_record untouched;
    overwrite_record(untouched, {.completed_at = 400}, 1000);
    BOOST_TEST(status_of(untouched) == 0);
    BOOST_TEST(untouched.completed_at == 0);
    BOOST_TEST(untouched.first_accessed_at == 0);
}

BOOST_AUTO_TEST_CASE(annotations_are_copied_on_write_and_cleared_when_empty) {
    progress_record record;
    overwrite_record(record, {.notes = std::string("hi"), .bookmarked = true}, 1000);
    BOOST_REQUIRE(record.annotations);
    const auto shared = record.annotations;  // a copy handed out earlier
    overwrite_record(record, {.metadata = std::string(R"({"a":1})")}, 2000);
    BOOST_TEST(shared->metadata.empty());  // never edited through
    BOOST_TEST(record.annotations->notes == "hi");
    BOOST_TEST(record.annotations->metadata == R"({"a":1})");
    overwrite_record(record, {.notes = std::string(), .bookmarked = false, .metadata = std::string()}, 3000);
    BOOST_TEST(!record.annotations);
}

BOOST_AUTO_TEST_CASE(annotations_round_trip_through_the_codec) {
    progress_record record;
    overwrite_record(record, {.notes = std::string("n"), .bookmarked = true, .metadata = std::string("{}x")}, 1000);
    record.hidden = true;
    std::string bytes;
    encode_record(bytes, record);
    auto decoded = decode_record(bytes);
    BOOST_REQUIRE(decoded);
    BOOST_REQUIRE(decoded->annotations);
    BOOST_TEST((*decoded->annotations == *record.annotations));
    BOOST_TEST(decoded->hidden);
    // A record without annotations encodes as before: no section.
    progress_record plain;
    std::string plain_bytes;
    encode_record(plain_bytes, plain);
    BOOST_TEST(bytes.size() > plain_bytes.size());
    BOOST_TEST(!decode_record(plain_bytes)->annotations);
}

BOOST_AUTO_TEST_CASE(quiz_score_makes_an_attempt) {
    assessment_state state;
    overwrite_quiz(state, {.score_percent = 80.0}, 1000);
    BOOST_REQUIRE(state.last());
    BOOST_TEST(state.attempt_count == 1u);
    BOOST_TEST(state.last()->score == 80.0);
    BOOST_TEST(state.last()->max_score == 100.0);
    BOOST_TEST(state.last()->attempt_id == authoritative_attempt_id);
    BOOST_TEST(!state.passed());
}

BOOST_AUTO_TEST_CASE(quiz_attempts_and_passed_are_exact) {
    assessment_state state;
    record_attempt(state, {"a1", 5, 10, 1, true});
    record_attempt(state, {"a2", 3, 10, 2, false});
    record_attempt(state, {"a3", 4, 10, 3, false});
    overwrite_quiz(state, {.attempts = 2u}, 1000);
    BOOST_TEST(state.attempt_count == 2u);
    BOOST_TEST(state.attempts.size() == 2u);
    BOOST_TEST(state.attempts.front().attempt_id == "a2");
    overwrite_quiz(state, {.passed = true}, 1000);
    BOOST_TEST(state.passed());
    overwrite_quiz(state, {.passed = false}, 1000);
    BOOST_TEST(!state.passed());
    overwrite_quiz(state, {.attempts = 0u}, 1000);
    BOOST_TEST(is_empty_quiz(state));
}

BOOST_AUTO_TEST_CASE(uncompleting_takes_the_position_percent) {
    auto record = completed_at_position(30);
    overwrite_record(record, {.status = progress_status::in_progress}, 1000);
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.progress_percent == 30.0);
    BOOST_TEST(record.completed_at == 0);
    BOOST_TEST(watched_percent(record.watched) == 0.0);

    // The next ping at an earlier position does not complete it again; one at the end does.
    const merge_rules rules{95};
    const auto outcome = merge(record, progressd::testing::watch("c1", 10), rules, 2000);
    BOOST_TEST(!outcome.became_completed);
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.progress_percent == 30.0);
    BOOST_TEST(merge(record, progressd::testing::watch("c1", 100), rules, 3000).became_completed);
    BOOST_TEST(record.completed_at == 3000);
}

BOOST_AUTO_TEST_CASE(uncompleting_at_the_end_stays_below_the_threshold) {
    auto record = completed_at_position(100);
    overwrite_record(record, {.status = progress_status::in_progress}, 1000, {completion_policy::furthest, 90});
    BOOST_TEST(status_of(record) == 1);
    BOOST_TEST(record.progress_percent == 89.0);
    // A given percent at or past the threshold is lowered the same way; a lower one is kept.
    auto given = completed_at_position(20);
    overwrite_record(given, {.progress_percent = 97.0}, 1000);
    BOOST_TEST(status_of(given) == 1);
    BOOST_TEST(given.progress_percent == 94.0);
    auto lower = completed_at_position(100);
    overwrite_record(lower, {.status = progress_status::not_started, .progress_percent = 12.0}, 1000);
    BOOST_TEST(lower.progress_percent == 12.0);
    // Without a duration the position says nothing: 0.
    auto unknown = completed_record();
    unknown.position_seconds = 50;
    overwrite_record(unknown, {.status = progress_status::in_progress}, 1000);
    BOOST_TEST(unknown.progress_percent == 0.0);
}

BOOST_AUTO_TEST_CASE(uncompleting_under_the_coverage_policy_clears_coverage) {
    auto record = completed_at_position(50);
    const completion_rule coverage{completion_policy::coverage, 90};
    overwrite_record(record, {.status = progress_status::in_progress}, 1000, coverage);
    BOOST_TEST(watched_percent(record.watched) == 0.0);
    merge_rules rules{90};
    rules.default_policy = completion_policy::coverage;
    BOOST_TEST(!merge(record, progressd::testing::watch("c1", 60), rules, 2000).became_completed);
    BOOST_TEST(status_of(record) == 1);
}

BOOST_AUTO_TEST_CASE(a_record_not_completed_keeps_what_the_write_gives) {
    auto record = completed_at_position(100);
    record.status = progress_status::in_progress;
    record.completed_at = 0;
    overwrite_record(record, {.status = progress_status::in_progress, .progress_percent = 97.0}, 1000);
    BOOST_TEST(record.progress_percent == 97.0);
    BOOST_TEST(watched_percent(record.watched) == 100.0);
}

BOOST_AUTO_TEST_SUITE_END()
