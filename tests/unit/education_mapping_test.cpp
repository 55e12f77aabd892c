#include "handlers/compat/education/education_mapping.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;
using namespace progressd::education;

BOOST_AUTO_TEST_SUITE(education_mapping_suite)

BOOST_AUTO_TEST_CASE(uuids_in_every_pydantic_form_become_canonical) {
    std::string reason;
    const std::string canonical = "497f6eca-6276-4993-bfeb-53cbbbba6f08";
    BOOST_TEST(canonical_uuid(canonical, reason).value() == canonical);
    BOOST_TEST(canonical_uuid("497F6ECA-6276-4993-BFEB-53CBBBBA6F08", reason).value() == canonical);
    BOOST_TEST(canonical_uuid("497f6eca62764993bfeb53cbbbba6f08", reason).value() == canonical);
    BOOST_TEST(canonical_uuid("urn:uuid:" + canonical, reason).value() == canonical);
    BOOST_TEST(canonical_uuid("{" + canonical + "}", reason).value() == canonical);
}

BOOST_AUTO_TEST_CASE(non_uuids_are_refused_with_the_parsers_reason) {
    std::string reason;
    BOOST_TEST(!canonical_uuid("abc", reason));
    BOOST_TEST(reason == "invalid length: expected length 32 for simple format, found 3");
    BOOST_TEST(!canonical_uuid("x97f6eca-6276-4993-bfeb-53cbbbba6f08", reason));
    BOOST_TEST(reason.find("found `x` at 1") != std::string::npos);
    BOOST_TEST(!canonical_uuid("497f6eca-6276-4993-bfeb53cbbbba6f08", reason));
    BOOST_TEST(reason == "invalid group count: expected 5, found 4");
    BOOST_TEST(!canonical_uuid("497f6ec-a6276-4993-bfeb-53cbbbba6f08", reason));
    BOOST_TEST(reason == "invalid group length in group 0: expected 8, found 7");
    BOOST_TEST(!canonical_uuid("", reason));
}

BOOST_AUTO_TEST_CASE(uuid_error_is_fastapis_shape) {
    const auto body = validation_body({uuid_error("path", "course_id", "abc", "bad")});
    const auto& entry = body.at("detail").as_array().at(0).as_object();
    BOOST_TEST(entry.size() == 5u);
    BOOST_TEST(entry.at("loc") == boost::json::parse(R"(["path","course_id"])"));
    BOOST_TEST(entry.at("type") == "uuid_parsing");
    BOOST_TEST(entry.at("msg") == "Input should be a valid UUID, bad");
    BOOST_TEST(entry.at("input") == "abc");
    BOOST_TEST(entry.at("ctx") == boost::json::parse(R"({"error":"bad"})"));
}

// Found by fuzz/router_fuzz (fuzz/corpus/router/crash-education-invalid-utf8): a path parameter
// holding a byte that is not UTF-8 (raw, or percent-encoded) was echoed into the 422 body as is,
// and a multi-byte character was cut to its first byte: the body was not valid JSON.
BOOST_AUTO_TEST_CASE(uuid_errors_stay_valid_utf8_whatever_the_path_holds) {
    for (const std::string input : {"3f2c7a10-0000-4000-\xaa" "000-000000000001", "\xc3\xa9t\xc3", "\xed\xa0\x80",
                                    "caf\xc3\xa9-0000-4000-8000-000000000001"}) {
        std::string reason;
        BOOST_REQUIRE(!canonical_uuid(input, reason));
        const auto text = boost::json::serialize(validation_body({uuid_error("path", "course_id", input, reason)}));
        boost::system::error_code ec;
        static_cast<void>(boost::json::parse(text, ec));
        BOOST_TEST(!ec, "not JSON: " << text);
    }
    std::string reason;
    BOOST_REQUIRE(!canonical_uuid("caf\xc3\xa9", reason));
    BOOST_TEST(reason.find("found `\xc3\xa9` at 4") != std::string::npos, reason);
    const auto body = validation_body({uuid_error("path", "course_id", "a\xaa", reason)});
    BOOST_TEST(body.at("detail").as_array().at(0).at("input") == "a\xef\xbf\xbd");
}

BOOST_AUTO_TEST_CASE(times_statuses_and_minutes) {
    BOOST_TEST(status_name(store::progress_status::in_progress) == "in_progress");
    BOOST_TEST((parse_status("completed") == store::progress_status::completed));
    BOOST_TEST(!parse_status("done"));
    BOOST_TEST(whole_minutes(0) == 0);
    BOOST_TEST(whole_minutes(59.9) == 0);
    BOOST_TEST(whole_minutes(150) == 2);
}

BOOST_AUTO_TEST_CASE(lesson_has_every_documented_field) {
    store::progress_record record;
    record.status = store::progress_status::completed;
    record.progress_percent = 100;
    record.time_spent_seconds = 125;
    record.completed_at = 1566656122000;
    record.updated_at = 1566656122000;
    store::overwrite_record(record, {.notes = std::string("n"), .metadata = std::string(R"({"k":1})")}, 1566656122000);
    store::assessment_state quiz;
    store::record_attempt(quiz, {"a", 8, 10, 1, true});
    const auto json = lesson_to_json({"u", "c", "l"}, record, &quiz);
    BOOST_TEST(json.size() == 18u);
    BOOST_TEST(json.at("status") == "completed");
    BOOST_TEST(json.at("time_spent_minutes") == 2);
    BOOST_TEST(json.at("quiz_score").to_number<double>() == 80.0);
    BOOST_TEST(json.at("quiz_attempts") == 1);
    BOOST_TEST(json.at("quiz_passed") == true);
    BOOST_TEST(json.at("user_notes") == "n");
    BOOST_TEST(json.at("metadata") == boost::json::parse(R"({"k":1})"));
    BOOST_TEST(json.at("content_id") == "l");
    BOOST_TEST(json.at("completed_at") == "2019-08-24T14:15:22Z");
    // Without a quiz or annotations: neutral values.
    const auto bare = lesson_to_json({"u", "c", "l"}, store::progress_record{}, nullptr);
    BOOST_TEST(bare.at("quiz_score").is_null());
    BOOST_TEST(bare.at("user_notes").is_null());
    BOOST_TEST(bare.at("metadata") == boost::json::object{});
    BOOST_TEST(bare.at("is_bookmarked") == false);
}

BOOST_AUTO_TEST_CASE(summary_counts_required_leaves) {
    store::node_progress course;
    course.collection = true;
    course.progress_percent = 50;
    course.time_spent_seconds = 600;
    store::node_progress done;
    done.content_id = "a";
    done.status = store::progress_status::completed;
    store::node_progress going;
    going.content_id = "b";
    going.status = store::progress_status::in_progress;
    store::node_progress extra = going;
    extra.content_id = "x";
    extra.optional = true;
    store::node_progress unit;
    unit.collection = true;
    unit.children = {going};
    course.children = {done, unit, extra};
    const auto json = summary_to_json("c", course);
    BOOST_TEST(json.at("total_lessons") == 2);
    BOOST_TEST(json.at("completed_lessons") == 1);
    BOOST_TEST(json.at("in_progress_lessons") == 1);
    BOOST_TEST(json.at("completion_percentage").to_number<double>() == 50.0);
    BOOST_TEST(json.at("total_time_spent_minutes") == 10);
    BOOST_TEST(json.at("last_accessed").is_null());
    BOOST_TEST(store::collection_leaves(course, false).size() == 3u);
}

BOOST_AUTO_TEST_CASE(put_body_is_read_and_validated) {
    std::vector<validation_error> errors;
    auto update = parse_lesson_update(
        boost::json::parse(R"({"status":"completed","time_spent_minutes":2,"quiz_attempts":3,"user_notes":null,"x":1})"),
        errors);
    BOOST_TEST(errors.empty());
    BOOST_TEST((update.record.status == store::progress_status::completed));
    BOOST_TEST(update.record.time_spent_seconds.value() == 120.0);
    BOOST_TEST(update.quiz.attempts.value() == 3u);
    BOOST_TEST(update.record.notes.value().empty());  // null clears
    BOOST_TEST(!update.record.progress_percent);

    errors.clear();
    parse_lesson_update(boost::json::parse(R"({"progress_percentage":"abc","quiz_passed":1,"status":null})"), errors);
    BOOST_TEST(errors.size() == 2u);
    BOOST_TEST(errors[0].type == "float_parsing");
    BOOST_TEST(errors[1].type == "bool_type");

    errors.clear();
    parse_lesson_update(boost::json::parse("[]"), errors);
    BOOST_TEST(errors.size() == 1u);
    BOOST_TEST(errors[0].type == "model_attributes_type");
}

BOOST_AUTO_TEST_SUITE_END()
