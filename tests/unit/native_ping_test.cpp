#include "handlers/native/native_ping.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

using progressd::parse_flat_ping;
using progressd::parse_ping;
using progressd::parsed_ping;
using progressd::auth::principal;

namespace {

const principal service{principal::kind::service, {}};
const principal user{principal::kind::user, "alice"};

// The DOM path's verdict, or nullopt when it refuses the body.
std::optional<parsed_ping> full_path(const std::string& body, const principal& who) {
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    if (ec || !value.is_object()) return std::nullopt;
    parsed_ping parsed;
    if (parse_ping(value.as_object(), who, {}, parsed)) return std::nullopt;
    return parsed;
}

// The fast path either declines or agrees exactly with the full path.
void check_consistent(const std::string& body, const principal& who) {
    parsed_ping fast;
    const bool handled = parse_flat_ping(body, who, fast);
    const auto full = full_path(body, who);
    if (!handled) return;
    BOOST_TEST_REQUIRE(full.has_value(), "fast path accepted what the full path refuses: " << body);
    BOOST_TEST((fast == *full), body);
}

bool fast_handles(const std::string& body, const principal& who = service) {
    parsed_ping parsed;
    const bool handled = parse_flat_ping(body, who, parsed);
    check_consistent(body, who);
    return handled;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(native_ping)

BOOST_AUTO_TEST_CASE(a_player_ping_takes_the_fast_path) {
    const std::string body = R"({"user_id":"user-000042","content_id":"content-0007","position_seconds":312.5,)"
                             R"("duration_seconds":600,"time_spent_delta_seconds":5,"ts":1700000000123})";
    parsed_ping parsed;
    BOOST_TEST_REQUIRE(parse_flat_ping(body, service, parsed));
    BOOST_TEST(parsed.user_id == "user-000042");
    BOOST_TEST(parsed.observation.content_id == "content-0007");
    BOOST_TEST(parsed.observation.position_seconds.value() == 312.5);
    BOOST_TEST(parsed.observation.duration_seconds.value() == 600.0);
    BOOST_TEST(parsed.observation.time_spent_delta_seconds == 5.0);
    BOOST_TEST(parsed.observation.ts.value() == 1700000000123);
    check_consistent(body, service);
}

BOOST_AUTO_TEST_CASE(every_flat_member_matches_the_full_path) {
    const std::string nested =
        R"({"user_id":"me","content_id":"c.1","context_id":"course-9","collection_id":"col:1","position_seconds":0.1,)"
        R"("duration_seconds":10000000,"progress_percent":99.5,"time_spent_delta_seconds":3600,"event":"complete",)"
        R"("session_id":"s@1","seq":7,"ts":0,"mimetype":"video/mp4","other":"ignored","more":[1]})";
    BOOST_TEST(!fast_handles(nested, user));  // a nested unknown member: the full path decides
    const std::string flat =
        R"({"user_id":"me","content_id":"c.1","context_id":"course-9","collection_id":"col:1","position_seconds":0.1,)"
        R"("duration_seconds":10000000,"progress_percent":99.5,"time_spent_delta_seconds":3600,"event":"complete",)"
        R"("session_id":"s@1","seq":7,"ts":0,"mimetype":"video/mp4"})";
    BOOST_TEST(fast_handles(flat, user));
    // Members parse_ping does not read go to the full path, which ignores them.
    BOOST_TEST(!fast_handles(R"({"content_id":"c","other":"ignored"})", user));
    BOOST_TEST(fast_handles(R"({"content_id":"c","context_id":"","event":"start","user_id":null,"ts":null})", user));
}

BOOST_AUTO_TEST_CASE(invalid_pings_are_left_to_the_full_path) {
    for (const char* body : {
             R"({"user_id":"u"})",                    // content_id required
             R"({"content_id":"c"})",                 // service principal without user_id
             R"({"user_id":"me","content_id":"c"})",  // "me" is for user tokens
             R"({"user_id":"u","content_id":"bad id"})",
             R"({"user_id":"u","content_id":""})",
             R"({"user_id":"u","content_id":"c","collection_id":""})",
             R"({"user_id":"u","content_id":"c","position_seconds":-1})",
             R"({"user_id":"u","content_id":"c","position_seconds":10000000.5})",
             R"({"user_id":"u","content_id":"c","progress_percent":100.01})",
             R"({"user_id":"u","content_id":"c","time_spent_delta_seconds":3601})",
             R"({"user_id":"u","content_id":"c","position_seconds":"1"})",
             R"({"user_id":"u","content_id":"c","position_seconds":true})",
             R"({"user_id":"u","content_id":"c","position_seconds":1e2})",
             R"({"user_id":"u","content_id":"c","event":"pause"})",
             R"({"user_id":"u","content_id":"c","seq":1.5})",
             R"({"user_id":"u","content_id":"c","ts":9007199254740993})",
             R"({"user_id":"u","content_id":"c","details":"x"})",
             R"({"user_id":"u","content_id":"c","details":{}})",
             R"({"user_id":"u","content_id":"c","segments":[[0,1]]})",
             R"({"user_id":"u","content_id":"c","content_id":"d"})",  // duplicates
             R"({"user_id":"u","content_id":"c","mimetype":"caf\u00e9"})",
         }) {
        BOOST_TEST(!fast_handles(body), body);
    }
    BOOST_TEST(!fast_handles(R"({"user_id":"bob","content_id":"c"})", user));  // another user: 403 from the full path
    BOOST_TEST(fast_handles(R"({"user_id":"alice","content_id":"c"})", user));
}

BOOST_AUTO_TEST_CASE(null_details_and_segments_count_as_absent) {
    BOOST_TEST(fast_handles(R"({"user_id":"u","content_id":"c","details":null,"segments":null})"));
    BOOST_TEST(!fast_handles(R"({"user_id":"u","content_id":"c","segments":[]})"));
}

namespace {

// The DOM path's reading of each item, as post_batch runs it; nullopt where it refuses an item.
std::vector<std::optional<parsed_ping>> full_batch(const std::string& body, const principal& who) {
    std::vector<std::optional<parsed_ping>> items;
    const auto value = boost::json::parse(body);
    std::size_t index = 0;
    for (const auto& item : value.at("pings").as_array()) {
        parsed_ping parsed;
        const bool refused = !item.is_object() ||
                             parse_ping(item.as_object(), who, "pings[" + std::to_string(index++) + "].", parsed);
        items.push_back(refused ? std::nullopt : std::optional(parsed));
    }
    return items;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_of_valid_flat_pings_is_read_as_the_full_path_reads_it) {
    const std::string body =
        R"({"pings":[{"user_id":"u1","content_id":"c1","position_seconds":12.5,"duration_seconds":600},)"
        R"({"user_id":"u2","content_id":"c2","context_id":"k","event":"complete","ts":1700000000123},)"
        R"( {"user_id":"u1","content_id":"c1","position_seconds":20,"time_spent_delta_seconds":5} ]})";
    std::vector<parsed_ping> fast;
    BOOST_TEST_REQUIRE(progressd::parse_flat_batch(body, service, 1000, fast));
    const auto full = full_batch(body, service);
    BOOST_TEST_REQUIRE(fast.size() == full.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
        BOOST_TEST_REQUIRE(full[i].has_value());
        BOOST_TEST((fast[i] == *full[i]), i);
    }
    BOOST_TEST(fast[1].user_id == "u2");
    BOOST_TEST(fast[2].observation.time_spent_delta_seconds == 5.0);
}

BOOST_AUTO_TEST_CASE(a_batch_the_flat_path_cannot_answer_whole_goes_to_the_full_path) {
    std::vector<parsed_ping> fast;
    const std::string good = R"({"user_id":"u","content_id":"c"})";
    for (const std::string& body : {
             std::string(R"({"pings":[]})"),                              // empty: the full path's 422
             R"({"pings":[)" + good + R"(,{"user_id":"u"}]})",            // one bad item: its own error
             R"({"pings":[)" + good + R"(,{"user_id":"u","content_id":"c","details":{}}]})",  // nested
             R"({"pings":[)" + good + R"(,7]})",
             R"({"pings":[)" + good + R"(],"extra":true})",
         }) {
        BOOST_TEST(!progressd::parse_flat_batch(body, service, 1000, fast), body);
    }
    std::string three = R"({"pings":[)" + good + "," + good + "," + good + "]}";
    BOOST_TEST(progressd::parse_flat_batch(three, service, 3, fast));
    BOOST_TEST(fast.size() == 3u);
    BOOST_TEST(!progressd::parse_flat_batch(three, service, 2, fast));  // over the limit: the full path's 422
    BOOST_TEST(!progressd::parse_flat_batch(three, user, 3, fast));     // a user naming another user: 403 per item
}

BOOST_AUTO_TEST_SUITE_END()
