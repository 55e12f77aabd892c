#include "handlers/native/user_export.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace progressd;

namespace {

user_data sample() {
    user_data data;
    store::progress_record record;
    record.status = store::progress_status::in_progress;
    record.progress_percent = 52.5;
    record.mimetype = "video/mp4";
    record.details = R"({"quality":"720p","note":"a, \"b\""})";
    record.first_accessed_at = 1000;
    data.records.push_back({{"batch", "lesson-1"}, record});
    data.enrolments.push_back({{"course-1", "batch"}, store::enrolment{10, 0, true, true, 10}});
    store::assessment_state state;
    store::record_attempt(state, {"a1", 3, 4, 99, false});
    store::record_attempt(state, {"a2", 4, 4, 100, true});
    data.assessments.push_back({{"batch", "quiz-1"}, state});
    return data;
}

std::vector<std::string> lines(const std::string& csv) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t end; (end = csv.find("\r\n", start)) != std::string::npos; start = end + 2) {
        out.push_back(csv.substr(start, end - start));
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(user_export_suite)

BOOST_AUTO_TEST_CASE(csv_has_a_header_and_one_row_per_record_enrolment_and_attempt) {
    const auto rows = lines(user_data_to_csv("alice", sample()));
    BOOST_REQUIRE(rows.size() == 5u);
    BOOST_TEST(rows[0].starts_with("kind,user_id,context_id,content_id,collection_id,record_id,status,"));
    BOOST_TEST(rows[1].starts_with("record,alice,batch,lesson-1,,"));
    BOOST_TEST(rows[1].find(",52.5,") != std::string::npos);
    // The details hold a comma and quotes: one quoted field with doubled quotes.
    BOOST_TEST(rows[1].find(R"("{""quality"":""720p"",""note"":""a, \""b\""""}")") != std::string::npos);
    BOOST_TEST(rows[2].starts_with("enrolment,alice,batch,,course-1,"));
    BOOST_TEST(rows[2].find(",implicit,") != std::string::npos);
    BOOST_TEST(rows[3].starts_with("attempt,alice,batch,quiz-1,"));
    BOOST_TEST(rows[4].find(",a2,4,4,true,100") != std::string::npos);
    // Every row has as many fields as the header (no field here holds a quoted comma but details).
    const auto count = [](const std::string& row) {
        std::size_t fields = 1;
        bool quoted = false;
        for (char c : row) {
            if (c == '"') quoted = !quoted;
            if (c == ',' && !quoted) ++fields;
        }
        return fields;
    };
    for (const auto& row : rows) BOOST_TEST(count(row) == count(rows[0]));
}

BOOST_AUTO_TEST_CASE(an_empty_user_exports_a_header_only) {
    BOOST_TEST(lines(user_data_to_csv("nobody", {})).size() == 1u);
    const auto json = user_data_to_json("nobody", {}, 5);
    BOOST_TEST(json.at("records").as_array().empty());
    BOOST_TEST(json.at("exported_at").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(json_holds_every_part) {
    const auto json = user_data_to_json("alice", sample(), 5);
    BOOST_TEST(json.at("records").as_array().size() == 1u);
    BOOST_TEST(json.at("records").as_array()[0].at("details").at("quality").as_string() == "720p");
    BOOST_TEST(json.at("enrolments").as_array()[0].at("collection_id").as_string() == "course-1");
    BOOST_TEST(json.at("assessments").as_array()[0].at("attempt_count").to_number<std::int64_t>() == 2);
}

BOOST_AUTO_TEST_CASE(records_carry_their_notes_bookmark_and_metadata) {
    auto data = sample();
    auto annotated = data.records.front().second;
    annotated.annotations = std::make_shared<store::record_annotations>(
        store::record_annotations{"my, \"note\"", true, R"({"custom_data":"{\"slide\":3}","k":[1,2]})"});
    data.records.push_back({{"", "lesson-2"}, annotated});

    const auto json = user_data_to_json("alice", data, 5);
    const auto& plain = json.at("records").as_array()[0].as_object();
    BOOST_TEST(plain.at("notes").is_null());
    BOOST_TEST(plain.at("bookmarked").as_bool() == false);
    BOOST_TEST(plain.at("metadata").is_null());
    const auto& noted = json.at("records").as_array()[1].as_object();
    BOOST_TEST(noted.at("notes").as_string() == "my, \"note\"");
    BOOST_TEST(noted.at("bookmarked").as_bool());
    BOOST_TEST(noted.at("metadata").at("custom_data").as_string() == R"({"slide":3})");
    BOOST_TEST(noted.at("metadata").at("k").as_array().size() == 2u);

    const auto rows = lines(user_data_to_csv("alice", data));
    BOOST_TEST(rows[0].ends_with(",submitted_at,notes,bookmarked,metadata"));
    BOOST_TEST(rows[1].ends_with(",false,"));  // no notes, not bookmarked, no metadata
    BOOST_TEST(rows[2].starts_with("record,alice,,lesson-2,"));
    BOOST_TEST(rows[2].ends_with(R"(,"my, ""note""",true,"{""custom_data"":""{\""slide\"":3}"",""k"":[1,2]}")"));
}

BOOST_AUTO_TEST_SUITE_END()
