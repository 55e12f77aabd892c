#include "handlers/compat/skilljar/skilljar_mapping.hpp"

#include "handlers/json/iso8601.hpp"
#include "store/enrolments.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;
using namespace progressd::skilljar;

namespace {

boost::json::object parse_object(std::string_view text) { return boost::json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(skilljar_mapping)

BOOST_AUTO_TEST_CASE(formats_microseconds_utc) {
    BOOST_TEST(boost::json::serialize(iso8601_or_null(1433293323012)) == "\"2015-06-03T01:02:03.012000Z\"");
    BOOST_TEST(iso8601_or_null(0).is_null());
    BOOST_TEST(*parse_iso8601(iso8601_or_null(1520849565123).as_string()) == 1520849565123);
}

BOOST_AUTO_TEST_CASE(tokens_round_trip_and_reject_tampering) {
    const auto key = derive_token_key("secret");
    BOOST_TEST(key.size() == 32u);
    const token_subject subject{"user-1", "course:1", "lesson.1"};
    const auto token = mint_token(token_kind::progress_token, subject, key);
    BOOST_TEST(token.rfind("pt.", 0) == 0u);
    BOOST_TEST((verify_token(token_kind::progress_token, token, key) == subject));
    // Another kind, another key, a changed byte: all refused.
    BOOST_TEST(!verify_token(token_kind::lesson_progress, token, key));
    BOOST_TEST(!verify_token(token_kind::progress_token, token, derive_token_key("other")));
    auto tampered = token;
    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
    BOOST_TEST(!verify_token(token_kind::progress_token, tampered, key));
    BOOST_TEST(!verify_token(token_kind::progress_token, "pt.x.y", key));
    BOOST_TEST(!verify_token(token_kind::progress_token, "", key));
    const auto lesson = mint_token(token_kind::lesson_progress, subject, key);
    BOOST_TEST(lesson != token);
    BOOST_TEST((verify_token(token_kind::lesson_progress, lesson, key) == subject));
}

BOOST_AUTO_TEST_CASE(paginates_like_drf) {
    auto page = parse_page(std::nullopt, std::nullopt, 100, 100, false);
    BOOST_TEST(page->page == 1u);
    BOOST_TEST(page->page_size == 100u);
    BOOST_TEST(!parse_page(std::string("0"), std::nullopt, 100, 100, false));
    BOOST_TEST(!parse_page(std::string("x"), std::nullopt, 100, 100, false));
    // page_size only where documented, and clamped.
    BOOST_TEST(parse_page(std::nullopt, std::string("2"), 100, 100, false)->page_size == 100u);
    BOOST_TEST(parse_page(std::nullopt, std::string("2"), 1000, 1000, true)->page_size == 2u);
    BOOST_TEST(parse_page(std::nullopt, std::string("5000"), 1000, 1000, true)->page_size == 1000u);

    const page_request second{2, 2};
    BOOST_TEST(page_exists(second, 3));
    BOOST_TEST(!page_exists(second, 2));
    BOOST_TEST(page_exists({1, 2}, 0));
    const auto envelope = page_envelope(5, second, "http://h/v1/x", "page_size=2&page=2", {});
    BOOST_TEST(envelope.at("count").as_uint64() == 5u);
    BOOST_TEST(envelope.at("next").as_string() == "http://h/v1/x?page_size=2&page=3");
    BOOST_TEST(envelope.at("previous").as_string() == "http://h/v1/x?page_size=2");
    const auto last = page_envelope(5, {3, 2}, "http://h/v1/x", "page=3", {});
    BOOST_TEST(last.at("next").is_null());
    BOOST_TEST(last.at("previous").as_string() == "http://h/v1/x?page=2");
}

BOOST_AUTO_TEST_CASE(parses_lesson_updates) {
    field_errors errors;
    auto update = parse_lesson_update(
        parse_object(R"({"completed_at":"2015-06-03T01:02:03Z","success_status":"PASSED","score":8,"max_score":10,
                         "custom_data":"x"})"),
        "", false, errors);
    BOOST_TEST(errors.empty());
    BOOST_TEST(update.completes());
    BOOST_TEST(update.touches_quiz());
    BOOST_TEST(*update.custom_data == "x");

    update = parse_lesson_update(parse_object(R"({"completed_at":null})"), "", false, errors);
    BOOST_TEST(update.uncompletes());
    BOOST_TEST(!update.completes());

    update = parse_lesson_update(parse_object(R"({"finished_at":"2015-06-03T01:02:03Z"})"), "", false, errors);
    BOOST_TEST(update.completes());

    // A progress token takes its four fields only.
    update = parse_lesson_update(parse_object(R"({"finished_at":"2015-06-03T01:02:03Z","custom_data":"x"})"), "", true,
                                 errors);
    BOOST_TEST(!update.completes());
    BOOST_TEST(!update.custom_data);

    parse_lesson_update(parse_object(R"({"completed_at":"soon","success_status":"MAYBE","score":-1})"),
                        "lesson_progress.", false, errors);
    const auto body = validation_body(errors);
    BOOST_TEST(body.at("lesson_progress").as_object().contains("completed_at"));
    BOOST_TEST(body.at("lesson_progress").as_object().at("success_status").as_array().at(0).as_string() ==
               "\"MAYBE\" is not a valid choice.");
    BOOST_TEST(body.at("lesson_progress").as_object().contains("score"));
}

BOOST_AUTO_TEST_CASE(completion_times_come_from_the_write) {
    field_errors errors;
    const std::int64_t now = *parse_iso8601("2024-05-01T12:00:00Z");
    auto update = parse_lesson_update(parse_object(R"({"completed_at":"2023-01-02T03:04:05.678Z"})"), "", false, errors);
    BOOST_TEST(*completion_time(update) == *parse_iso8601("2023-01-02T03:04:05.678Z"));
    BOOST_TEST(!refuse_completion_times(update, now));

    // completed_at wins over finished_at; finished_at alone completes at its time.
    update = parse_lesson_update(
        parse_object(R"({"completed_at":"2023-01-02T00:00:00Z","finished_at":"2023-01-01T00:00:00Z"})"), "", false, errors);
    BOOST_TEST(*completion_time(update) == *parse_iso8601("2023-01-02T00:00:00Z"));
    update = parse_lesson_update(parse_object(R"({"completed_at":null,"finished_at":"2023-01-01T00:00:00Z"})"), "",
                                 false, errors);
    BOOST_TEST(*completion_time(update) == *parse_iso8601("2023-01-01T00:00:00Z"));
    update = parse_lesson_update(parse_object(R"({"completed_at":null})"), "", false, errors);
    BOOST_TEST(!completion_time(update));
    BOOST_TEST(!refuse_completion_times(update, now));
    BOOST_TEST(errors.empty());

    // Up to the lead ahead of the clock is a completion; beyond it, or the epoch, is refused.
    update = parse_lesson_update(parse_object(R"({"completed_at":"2024-05-01T12:05:00Z"})"), "", false, errors);
    BOOST_TEST(!refuse_completion_times(update, now));
    update = parse_lesson_update(parse_object(R"({"completed_at":"2024-05-01T12:05:00.001Z"})"), "", false, errors);
    const auto refused = refuse_completion_times(update, now);
    BOOST_REQUIRE(refused);
    BOOST_TEST(refused->find("completed_at 2024-05-01T12:05:00.001000Z is in the future") == 0u);
    BOOST_TEST(refused->find("(2024-05-01T12:00:00.000000Z)") != std::string::npos);
    update = parse_lesson_update(parse_object(R"({"finished_at":"2025-01-01T00:00:00Z"})"), "", false, errors);
    BOOST_TEST(refuse_completion_times(update, now)->find("finished_at") == 0u);
    update = parse_lesson_update(parse_object(R"({"completed_at":"1970-01-01T00:00:00Z"})"), "", false, errors);
    BOOST_TEST(refuse_completion_times(update, now).has_value());

    auto course = parse_course_update(parse_object(R"({"completed_at":"2030-01-01T00:00:00Z"})"), errors);
    BOOST_TEST(refuse_completion_times(course, now).has_value());
    course = parse_course_update(parse_object(R"({"completed_at":null})"), errors);
    BOOST_TEST(!refuse_completion_times(course, now));
    BOOST_TEST(errors.empty());
}

BOOST_AUTO_TEST_CASE(quiz_keeps_one_skilljar_attempt) {
    store::assessment_state state;
    lesson_update update;
    update.score = 8;
    update.max_score = 10;
    apply_quiz(state, update, 1);
    BOOST_TEST(state.attempts.size() == 1u);
    BOOST_TEST(!state.passed());
    lesson_update verdict;
    verdict.success = success_status::passed;
    apply_quiz(state, verdict, 2);
    BOOST_TEST(state.attempts.size() == 1u);
    BOOST_TEST(state.attempts.back().score == 8);
    BOOST_TEST(state.passed());
    BOOST_TEST(success_json(&state).as_string() == "PASSED");
    // A null verdict with no quiz at all makes none.
    store::assessment_state empty;
    lesson_update unknown;
    unknown.success = std::optional<success_status>{};
    apply_quiz(empty, unknown, 3);
    BOOST_TEST(empty.attempts.empty());
    BOOST_TEST(success_json(&empty).is_null());
}

BOOST_AUTO_TEST_CASE(parses_enrollments) {
    field_errors errors;
    auto create = parse_enrollment_create(
        parse_object(R"({"user":{"id":"abcde12345"},"enrolled_at":"2018-03-12T10:12:45Z",
                         "expires_at":"2018-05-12T10:12:45Z","active":true,"purchase":{"purchase_state":"SUCCESS"}})"),
        errors);
    BOOST_TEST(errors.empty());
    BOOST_TEST(create.user_id == "abcde12345");
    BOOST_TEST(*create.enrolled_at == 1520849565000);
    BOOST_TEST(*create.expires_at == 1526119965000);

    parse_enrollment_create(parse_object(R"({"user":{}})"), errors);
    BOOST_TEST(validation_body(errors).at("user").as_object().at("id").as_array().at(0).as_string() ==
               "This field is required.");
    errors.clear();
    parse_enrollment_create(parse_object(R"({})"), errors);
    BOOST_TEST(validation_body(errors).at("user").as_array().at(0).as_string() == "This field is required.");

    const auto id = enrollment_id("user-1", "enrolled-5");
    BOOST_TEST((*parse_enrollment_id(id) == std::pair<std::string, std::string>{"user-1", "enrolled-5"}));
    BOOST_TEST((*parse_enrollment_id(enrollment_id("u", "")) == std::pair<std::string, std::string>{"u", ""}));
    BOOST_TEST(!parse_enrollment_id("!!"));
    BOOST_TEST(!parse_enrollment_id("dXNlcg"));  // "user": no separator

    store::enrolment value;
    value.enrolled_at = 1520849565000;
    const auto json = enrollment_to_json("u", "", value);
    BOOST_TEST(json.at("enrolled_at").as_string() == "2018-03-12T10:12:45.000000Z");
    BOOST_TEST(json.at("expires_at").is_null());
    BOOST_TEST(json.at("user").as_object().at("id").as_string() == "u");
}

BOOST_AUTO_TEST_SUITE_END()
