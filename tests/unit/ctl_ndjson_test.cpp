#include "tools/ctl_ndjson.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "tools/ctl_damage.hpp"
#include "tools/ctl_json.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

// The NDJSON mapping of progressctl export/import (line → entity → line is the identity, and the
// entity encodes to the same LMDB bytes), the JSON reader under it, and damage detection.

namespace progressd::tools {
namespace {

store::progress_record full_record() {
    store::progress_record r;
    r.record_id = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};
    r.status = store::progress_status::in_progress;
    r.progress_percent = 100.0 / 3;  // no short decimal: the shortest round-trip text is needed
    r.position_seconds = 0.1 + 0.2;
    r.duration_seconds = 600;
    r.time_spent_seconds = 1e-7;
    r.views = 3;
    r.position_ts = 0;  // a valid ts, distinct from none
    r.first_accessed_at = 1700000000000;
    r.last_accessed_at = 1700000000123;
    r.updated_at = 1700000000124;
    r.mimetype = "video/mp4";
    r.details = "{\"quality\": \"720p\",\"n\":[1,2.50]}";  // kept as written, spaces and all
    r.replay.newest = {0xfedcba9876543210ull, 17, 0x8000000000000001ull};
    r.replay.older = std::make_unique<store::replay_window::older_windows>();
    (*r.replay.older)[0] = {42, 3, 7};
    r.watched = {0xffffffffffffffffull, 0xfull};
    r.hidden = true;
    auto annotations = std::make_shared<store::record_annotations>();
    annotations->notes = "line\none \"quoted\" \x01 é";
    annotations->bookmarked = true;
    r.annotations = annotations;
    return r;
}

std::string round_trip(const std::string& line) {
    std::string error;
    const auto item = parse_line(std::string_view(line).substr(0, line.size() - 1), error);
    BOOST_TEST_REQUIRE(item.has_value(), error);
    std::string again;
    append_line(again, *item);
    return again;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ctl_ndjson)

BOOST_AUTO_TEST_CASE(a_record_line_reads_back_to_the_same_bytes_and_the_same_lmdb_value) {
    const auto record = full_record();
    std::string line;
    append_line(line, "alice", store::record_key{"batch-7", "lesson-1"}, record);
    BOOST_TEST(line.back() == '\n');
    BOOST_TEST(round_trip(line) == line);

    std::string error;
    const auto item = parse_line(std::string_view(line).substr(0, line.size() - 1), error);
    const auto& parsed = std::get<record_item>(*item);
    std::string original_value;
    std::string parsed_value;
    store::encode_record(original_value, record);
    store::encode_record(parsed_value, parsed.record);
    BOOST_TEST(original_value == parsed_value);
    BOOST_TEST(parsed.record.progress_percent == record.progress_percent);  // exact, not near
    BOOST_TEST(parsed.record.details == record.details);
    BOOST_TEST(line.find("\"details\":{\"quality\": \"720p\"") != std::string::npos);
    BOOST_TEST(line.find("\"record_id\":\"01020304-0506-4708-890a-0b0c0d0e0f10\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fresh_record_writes_nulls_where_the_api_does) {
    store::progress_record record;
    std::string line;
    append_line(line, "bob", store::record_key{"", "c"}, record);
    BOOST_TEST(line.find("\"completed_at\":null") != std::string::npos);
    BOOST_TEST(line.find("\"mimetype\":null") != std::string::npos);
    BOOST_TEST(line.find("\"position_ts\":null") != std::string::npos);
    BOOST_TEST(line.find("\"notes\"") == std::string::npos);
    BOOST_TEST(round_trip(line) == line);
}

BOOST_AUTO_TEST_CASE(catalog_enrolment_and_assessment_lines_round_trip) {
    store::content_entry entry{.id = "course-1", .type = "course", .title = "Intro \"Rust\"", .duration_seconds = 3600.5,
                               .parent_id = "", .children = {"u1", "u2"}, .optional = true,
                               .attributes = "{\"pass_percent\":60}", .learned = false, .updated_at = 5};
    std::string line;
    append_line(line, entry);
    BOOST_TEST(round_trip(line) == line);
    std::string error;
    const auto parsed = parse_line(std::string_view(line).substr(0, line.size() - 1), error);
    BOOST_TEST(store::encode_catalog_entry(std::get<store::content_entry>(*parsed)) == store::encode_catalog_entry(entry));

    line.clear();
    append_line(line, "alice", store::enrolment_key{"course-1", "batch-7"},
                store::enrolment{.enrolled_at = 1, .expires_at = 0, .active = false, .implicit = true, .updated_at = 2});
    BOOST_TEST(line.find("\"expires_at\":null") != std::string::npos);
    BOOST_TEST(line.find("\"source\":\"implicit\"") != std::string::npos);
    BOOST_TEST(round_trip(line) == line);

    store::assessment_state state;
    state.attempt_count = 60;
    state.folded_best_score = 9.75;
    state.folded_passed = true;
    state.attempts.push_back({"a-1", 7, 10, 1700000000000, true});
    line.clear();
    append_line(line, "alice", store::record_key{"", "quiz-1"}, state);
    BOOST_TEST(round_trip(line) == line);
    const auto assessment = parse_line(std::string_view(line).substr(0, line.size() - 1), error);
    BOOST_TEST(store::encode_assessment_state(std::get<assessment_item>(*assessment).state) ==
               store::encode_assessment_state(state));
}

BOOST_AUTO_TEST_CASE(bad_lines_name_what_is_wrong) {
    std::string error;
    BOOST_TEST(!parse_line("not json", error));
    BOOST_TEST(!error.empty());
    BOOST_TEST(!parse_line(R"({"kind":"elephant"})", error));
    BOOST_TEST(error.find("kind") != std::string::npos);
    BOOST_TEST(!parse_line(R"({"kind":"enrolment","user_id":"a b","collection_id":"c","context_id":"",)"
                           R"("enrolled_at":1,"expires_at":null,"active":true,"source":"explicit","updated_at":1})",
                           error));
    BOOST_TEST(error == "user_id: not a valid id");
    BOOST_TEST(!parse_line(R"({"kind":"catalog","id":"x","type":"t","title":"","duration_seconds":null,)"
                           R"("parent_id":null,"children":[],"optional":false,"attributes":null,"learned":false})",
                           error));
    BOOST_TEST(error == "updated_at: missing");
}

BOOST_AUTO_TEST_CASE(the_json_reader_keeps_exact_numbers_and_raw_text) {
    std::string error;
    const auto value = parse_json(R"( {"a": 0.30000000000000004, "b": {"x" : [1, "\u00e9\ud83d\ude00"]}, "c": -0} )", error);
    BOOST_TEST_REQUIRE(value.has_value(), error);
    BOOST_TEST(*value->find("a")->as_double() == 0.1 + 0.2);
    BOOST_TEST(value->find("b")->raw == R"({"x" : [1, "\u00e9\ud83d\ude00"]})");
    BOOST_TEST(value->find("b")->find("x")->items[1].text == "\xc3\xa9\xf0\x9f\x98\x80");
    BOOST_TEST(!parse_json("[1,]", error));
    BOOST_TEST(!parse_json("01", error));
    BOOST_TEST(!parse_json(std::string(100, '['), error));  // nesting bounded
}

BOOST_AUTO_TEST_CASE(damage_is_what_recovery_would_skip) {
    std::string key;
    store::encode_key(key, "alice", store::record_key{"", "lesson-1"});
    std::string value;
    store::encode_record(value, full_record());
    BOOST_TEST(!find_damage(database_id::records, key, value));
    BOOST_TEST(find_damage(database_id::records, key, value.substr(0, value.size() - 1)).has_value());
    BOOST_TEST(find_damage(database_id::records, "no-separators", value).has_value());
    BOOST_TEST(find_damage(database_id::catalog, "x", "\xff").has_value());
    BOOST_TEST(find_damage(database_id::meta, "format_version", "0").has_value());
    BOOST_TEST(!find_damage(database_id::meta, "format_version", "1"));
    BOOST_TEST(find_damage(database_id::meta, "wal_checkpoint", "1234").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace progressd::tools
