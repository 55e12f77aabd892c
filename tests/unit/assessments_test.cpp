#include "store/assessments.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <future>
#include <random>

using namespace progressd::store;

namespace {

assessment_attempt attempt(std::string id, double score, double max_score = 10, bool passed = false,
                           std::int64_t at = 1) {
    return {std::move(id), score, max_score, at, passed};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(assessments_suite)

BOOST_AUTO_TEST_CASE(items_sum_with_the_last_result_per_item_winning) {
    const auto totals = score_items({{"q1", 0, 1}, {"q2", 2, 2}, {"q1", 1, 1}, {"q3", 0, 5}});
    BOOST_TEST(totals.score == 3.0);
    BOOST_TEST(totals.max_score == 8.0);
    BOOST_TEST(score_items({}).max_score == 0.0);
}

BOOST_AUTO_TEST_CASE(attempts_update_the_counters) {
    assessment_state state;
    record_attempt(state, attempt("a1", 4));
    record_attempt(state, attempt("a2", 9, 10, true));
    record_attempt(state, attempt("a3", 6));
    BOOST_TEST(state.attempt_count == 3u);
    BOOST_TEST(state.last()->attempt_id == "a3");
    BOOST_TEST(state.last()->score == 6.0);
    BOOST_TEST(state.best_score() == 9.0);
    BOOST_TEST(state.passed());  // once passed, passed
}

BOOST_AUTO_TEST_CASE(a_resubmitted_attempt_replaces_itself) {
    assessment_state state;
    record_attempt(state, attempt("a1", 2));
    record_attempt(state, attempt("a2", 3));
    record_attempt(state, attempt("a1", 8, 10, true));
    BOOST_TEST(state.attempt_count == 2u);
    BOOST_REQUIRE(state.attempts.size() == 2u);
    BOOST_TEST(state.attempts[0].score == 8.0);
    BOOST_TEST(state.best_score() == 8.0);
    BOOST_TEST(state.passed());
}

BOOST_AUTO_TEST_CASE(at_most_50_are_kept_and_older_ones_fold_into_the_counters) {
    assessment_state state;
    record_attempt(state, attempt("first", 10, 10, true));  // the best, and the only pass
    for (int i = 0; i < 60; ++i) record_attempt(state, attempt("a" + std::to_string(i), 1));
    BOOST_TEST(state.attempt_count == 61u);
    BOOST_TEST(state.attempts.size() == max_kept_attempts);
    BOOST_TEST(state.attempts.front().attempt_id == "a10");
    BOOST_TEST(state.attempts.back().attempt_id == "a59");
    BOOST_TEST(state.best_score() == 10.0);
    BOOST_TEST(state.passed());
}

BOOST_AUTO_TEST_CASE(the_store_submits_finds_lists_and_erases) {
    std::atomic<std::uint64_t> generation{9};
    assessment_store store(4, generation);
    const auto submitted = store.submit("u1", {"ctx", "quiz"}, attempt("a1", 5));
    BOOST_TEST(submitted.generation == 9u);
    BOOST_TEST(submitted.state.attempt_count == 1u);
    store.submit("u1", {"", "quiz"}, attempt("a1", 7));
    BOOST_TEST(store.find("u1", {"ctx", "quiz"})->last()->score == 5.0);
    BOOST_TEST(!store.find("u2", {"ctx", "quiz"}));
    BOOST_TEST(store.list_user("u1").size() == 2u);
    std::size_t changes = 0;
    store.collect_changes([&](std::string, std::optional<std::string> value) {
        BOOST_TEST(value.has_value());
        ++changes;
    });
    BOOST_TEST(changes == 2u);
    BOOST_TEST(store.erase("u1", {"ctx", "quiz"}).has_value());
    BOOST_TEST(!store.erase("u1", {"ctx", "quiz"}).has_value());
    BOOST_TEST(store.erase_user("u1").count == 1u);
    BOOST_TEST(store.erase_user("u1").generation == 0u);
    BOOST_TEST(store.list_user("u1").empty());
    std::size_t tombstones = 0;
    store.collect_changes([&](std::string, std::optional<std::string> value) { tombstones += !value; });
    BOOST_TEST(tombstones == 2u);
}

BOOST_AUTO_TEST_CASE(the_codec_round_trips_and_rejects_damage) {
    assessment_state state;
    state.folded_best_score = 3.5;
    state.folded_passed = true;
    record_attempt(state, attempt("a1", 4, 10, false, 1700000000000));
    record_attempt(state, attempt("a2", 9.25, 10, true, 1700000000001));
    const auto bytes = encode_assessment_state(state);
    const auto decoded = decode_assessment_state(bytes);
    BOOST_REQUIRE(decoded);
    BOOST_TEST((*decoded == state));
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        BOOST_TEST(!decode_assessment_state(bytes.substr(0, length)), "length " << length);
    }
    BOOST_TEST(!decode_assessment_state(bytes + "x"));
    auto other_version = bytes;
    other_version[0] = 2;
    BOOST_TEST(!decode_assessment_state(other_version));
}

BOOST_AUTO_TEST_CASE(persisted_through_the_persister_and_recovered) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("progressd-assessments-test-" + std::to_string(std::random_device{}()));
    const progressd::logger quiet{progressd::log_level::error};
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        progress_store records(4, {});
        assessment_store store(4, records.generation_counter());
        persister writer(records, environment, {durability_mode::sync, std::chrono::hours(1)}, quiet);
        writer.attach(store, environment.assessments());
        writer.start();
        store.submit("u1", {"b", "quiz"}, attempt("a1", 8, 10, true));
        const auto last = store.submit("u1", {"b", "quiz"}, attempt("a2", 3)).generation;
        std::promise<bool> durable;
        writer.when_durable(last, [&](bool ok) { durable.set_value(ok); });
        BOOST_TEST(durable.get_future().get());
        BOOST_TEST(writer.stop());
    }
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        std::atomic<std::uint64_t> generation{1};
        assessment_store reloaded(4, generation);
        const auto result = recover_assessments(environment, reloaded, quiet);
        BOOST_TEST(result.records == 1u);
        const auto state = reloaded.find("u1", {"b", "quiz"});
        BOOST_REQUIRE(state);
        BOOST_TEST(state->attempt_count == 2u);
        BOOST_TEST(state->best_score() == 8.0);
        BOOST_TEST(state->passed());
    }
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
