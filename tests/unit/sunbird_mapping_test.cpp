#include "handlers/compat/sunbird/sunbird_mapping.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;
using namespace progressd::sunbird;

namespace {

boost::json::object object_of(std::string_view text) { return boost::json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(sunbird_mapping)

BOOST_AUTO_TEST_CASE(ts_has_the_documents_format) {
    // 2021-06-23 05:37:40.575 UTC, the document's example.
    BOOST_TEST(format_ts(1624426660575) == "2021-06-23 05:37:40:575+0000");
    BOOST_TEST(boost::json::serialize(format_date(1631232000000)) == "\"2021-09-10\"");
    BOOST_TEST(format_date(0).is_null());
}

BOOST_AUTO_TEST_CASE(success_envelope_echoes_msgid) {
    const auto envelope = success_envelope("api.view.start", boost::json::string("m-1"), 1624426660575,
                                           boost::json::object{{"content_123", "Progress started"}});
    BOOST_TEST(envelope.at("id").as_string() == "api.view.start");
    BOOST_TEST(envelope.at("ver").as_string() == "v1");
    BOOST_TEST(envelope.at("responseCode").as_string() == "OK");
    const auto& params = envelope.at("params").as_object();
    BOOST_TEST(params.at("msgid").as_string() == "m-1");
    BOOST_TEST(params.at("status").as_string() == "success");
    BOOST_TEST(params.at("resmsgid").is_null());
    BOOST_TEST(params.at("err").is_null());
    BOOST_TEST(params.at("errmsg").is_null());
    BOOST_TEST(envelope.at("result").at("content_123").as_string() == "Progress started");
}

BOOST_AUTO_TEST_CASE(validation_is_bad_request_naming_the_field) {
    api_error error{error_code::validation, "x", {{"request.contentId", "Content Id cannot be empty"}}, {}};
    const auto failed = failure_for(error);
    BOOST_TEST(failed.http_status == 400u);
    BOOST_TEST(failed.response_code == "BAD_REQUEST");
    BOOST_TEST(failed.err == "CLIENT_ERROR");
    BOOST_TEST(failed.errmsg == "Content Id cannot be empty");
    const auto envelope = failure_envelope("api.view.start", nullptr, 0, failed);
    BOOST_TEST(envelope.at("params").at("status").as_string() == "failed");
    BOOST_TEST(envelope.at("result").at("request.contentId").as_string() == "Content Id cannot be empty");
}

BOOST_AUTO_TEST_CASE(server_errors_are_server_error) {
    const auto failed = failure_for({error_code::unavailable, "down", {}, {}});
    BOOST_TEST(failed.http_status == 503u);
    BOOST_TEST(failed.response_code == "SERVER_ERROR");
    BOOST_TEST(failed.err == "SERVER_ERROR");
    BOOST_TEST(failure_for({error_code::internal, "", {}, {}}).http_status == 500u);
    BOOST_TEST(failure_for({error_code::missing_credentials, "", {}, {}}).response_code == "UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(envelope_reads_msgid_and_request) {
    auto body = object_of(R"({"id":"api.view.start","params":{"msgid":"abc"},"request":{"contentId":"c"}})");
    const auto in = read_envelope(body);
    BOOST_TEST(in.msgid.as_string() == "abc");
    BOOST_REQUIRE(in.request);
    BOOST_TEST(in.request->at("contentId").as_string() == "c");
    auto bare = object_of(R"({"request":"nope"})");
    BOOST_TEST(read_envelope(bare).msgid.is_null());
    BOOST_TEST(!read_envelope(bare).request);
}

BOOST_AUTO_TEST_CASE(view_start_needs_a_content_id) {
    std::vector<field_error> errors;
    parse_view(object_of(R"({"contentId":""})"), view_call::start, errors);
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].field == "request.contentId");
    BOOST_TEST(errors[0].message == "Content Id cannot be empty");
    errors.clear();
    parse_view(object_of(R"({"contentId":"c1","contextId":"bad id!"})"), view_call::start, errors);
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].field == "request.contextId");
    BOOST_TEST(errors[0].message == "Invalid Context Id");
}

BOOST_AUTO_TEST_CASE(view_end_with_context_needs_a_collection) {
    std::vector<field_error> errors;
    parse_view(object_of(R"({"contentId":"c1","contextId":"b1"})"), view_call::end, errors);
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].field == "request.collectionId");
    errors.clear();
    const auto view = parse_view(object_of(R"({"contentId":"c1","contextId":"b1","collectionId":"k1"})"),
                                 view_call::end, errors);
    BOOST_TEST(errors.empty());
    const auto ping = to_ping(view, view_call::end);
    BOOST_TEST((ping.event == store::ping_event::complete));
    BOOST_TEST(ping.collection_id == "k1");
    BOOST_TEST(ping.context_id == "b1");
}

BOOST_AUTO_TEST_CASE(the_msgid_keys_the_ping_as_a_session_of_one) {
    store::ping ping;
    key_by_msgid(ping, view_call::update, boost::json::value("4f04da60-1e24-4d31-aa7b-1daf91c46341"));
    BOOST_TEST(*ping.session_id == "msgid:update:4f04da60-1e24-4d31-aa7b-1daf91c46341");
    BOOST_TEST(*ping.seq == 1);
    for (const auto& none : {boost::json::value(nullptr), boost::json::value(""), boost::json::value(42)}) {
        store::ping unkeyed;
        key_by_msgid(unkeyed, view_call::start, none);
        BOOST_TEST(!unkeyed.session_id);
        BOOST_TEST(!unkeyed.seq);
    }
}

BOOST_AUTO_TEST_CASE(view_update_carries_progress_time_and_details) {
    std::vector<field_error> errors;
    const auto view = parse_view(
        object_of(R"({"contentId":"c1","progressDetails":{"mimetype":"application/pdf","progress":20},"timespent":10})"),
        view_call::update, errors);
    BOOST_TEST(errors.empty());
    const auto ping = to_ping(view, view_call::update);
    BOOST_TEST((ping.event == store::ping_event::update));
    BOOST_TEST(*ping.progress_percent == 20.0);
    BOOST_TEST(ping.time_spent_delta_seconds == 10.0);
    BOOST_TEST(*ping.mimetype == "application/pdf");
    BOOST_TEST(boost::json::parse(*ping.details).at("progress").as_int64() == 20);

    errors.clear();
    parse_view(object_of(R"({"contentId":"c1","timespent":10})"), view_call::update, errors);
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].field == "request.progressDetails");
    errors.clear();
    parse_view(object_of(R"({"contentId":"c1","progressDetails":{"progress":101},"timespent":-1})"),
               view_call::update, errors);
    BOOST_TEST(errors.size() == 2u);
}

BOOST_AUTO_TEST_CASE(progress_details_report_the_records_percent) {
    store::progress_record record;
    record.status = store::progress_status::completed;
    record.progress_percent = 100;
    record.details = R"({"mimetype":"application/pdf","progress":20,"page":3})";
    const auto details = progress_details(record);
    BOOST_TEST(details.at("progress").as_int64() == 100);
    BOOST_TEST(details.at("page").as_int64() == 3);
    const auto content = content_to_json("u1", "", "c1", nullptr, record);
    BOOST_TEST(content.at("status").as_int64() == 2);
    BOOST_TEST(content.at("contextId").is_null());
    BOOST_TEST(content.at("contentId").as_string() == "c1");
}

BOOST_AUTO_TEST_CASE(assess_events_sum_the_last_answer_per_item) {
    std::string reason;
    const auto events = boost::json::parse(R"([
        {"eid":"ASSESS","edata":{"item":{"id":"q1","maxscore":1},"score":0}},
        {"eid":"ASSESS","edata":{"item":{"id":"q2","maxscore":2},"score":2}},
        {"eid":"ASSESS","edata":{"item":{"id":"q1","maxscore":1},"score":1}}
    ])");
    const auto items = assess_items(events, reason);
    BOOST_REQUIRE(items);
    const auto totals = store::score_items(*items);
    BOOST_TEST(totals.score == 3.0);
    BOOST_TEST(totals.max_score == 3.0);
    BOOST_TEST(!assess_items(boost::json::array{}, reason));
    BOOST_TEST(!assess_items(boost::json::parse(R"([1])"), reason));
}

BOOST_AUTO_TEST_CASE(summary_has_the_documents_fields) {
    store::content_entry collection;
    collection.id = "k1";
    collection.title = "Mathematics";
    collection.attributes = R"({"logo":"http://logoimage","description":"Dummy Collection"})";
    store::node_progress course;
    course.collection = true;
    course.status = store::progress_status::in_progress;
    course.progress_percent = 50;
    course.children.resize(2);
    const store::enrolment value{1624275377301, 0, true, false, 0};
    const auto summary = summary_to_json("u1", {"k1", "b1"}, value, &collection, &course,
                                         {{"c1", store::progress_status::completed}}, {{"c2", 3, 4}});
    BOOST_TEST(summary.at("enrolledDate").as_int64() == 1624275377301);
    BOOST_TEST(summary.at("active").as_bool());
    BOOST_TEST(summary.at("contentStatus").at("c1").as_int64() == 2);
    BOOST_TEST(summary.at("assessmentStatus").at("c2").at("max_score").as_int64() == 4);
    const auto& info = summary.at("collection").as_object();
    BOOST_TEST(info.at("name").as_string() == "Mathematics");
    BOOST_TEST(info.at("logo").as_string() == "http://logoimage");
    BOOST_TEST(info.at("leafNodesCount").as_int64() == 2);
    BOOST_TEST(summary.at("progress").as_int64() == 50);
    BOOST_TEST(summary.at("status").as_int64() == 1);
    BOOST_TEST(summary.at("completedOn").is_null());
    BOOST_TEST(summary.at("issuedCertificates").as_array().empty());

    const auto csv = summaries_to_csv(boost::json::array{summary});
    BOOST_TEST(csv.starts_with("userId,collectionId,contextId,"));
    BOOST_TEST(csv.find("\"{\"\"c1\"\":2}\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(best_attempt_keeps_its_max_score) {
    store::assessment_state state;
    store::record_attempt(state, {"a1", 2, 4, 1, false});
    store::record_attempt(state, {"a2", 3, 5, 2, true});
    const auto best = best_of("c1", state);
    BOOST_TEST(best.score == 3.0);
    BOOST_TEST(best.max_score == 5.0);
    BOOST_TEST(attempt_to_json(state.attempts[0]).at("attemptId").as_string() == "a1");
}

BOOST_AUTO_TEST_SUITE_END()
