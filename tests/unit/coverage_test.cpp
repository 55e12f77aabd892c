#include "store/coverage.hpp"

#include "store/completion.hpp"
#include "store/merge.hpp"
#include "store/codec/record_codec.hpp"

#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <limits>
#include <random>

using namespace progressd::store;

namespace {

// A ping of a 600 s video at `position`, `ts` ms on the client clock, in session s1.
ping play(double position, std::int64_t ts, std::string session = "s1") {
    return progressd::testing::make_ping({.content = "video",
                                          .position = position,
                                          .duration = 600,
                                          .time_spent = 0,
                                          .session = std::move(session),
                                          .seq = ts,  // unique per ping
                                          .ts = ts,
                                          .mimetype = "video/mp4"});
}

// Watches [from, to] of the video with a ping every 5 s (client time matching playback).
void watch(progress_record& record, double from, double to, const merge_rules& rules, std::int64_t& clock) {
    for (double position = from; position <= to + 1e-9; position += 5) {
        merge(record, play(position, clock), rules, clock);
        clock += 5000;
    }
}

merge_rules coverage_rules(double threshold = 90) {
    merge_rules rules;
    rules.overrides.push_back({completion_override::match::mimetype, "video/mp4", {completion_policy::coverage, threshold}});
    return rules;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coverage_suite)

BOOST_AUTO_TEST_CASE(marking_touches_every_overlapped_slot) {
    coverage_map map{};
    mark_watched(map, 0, 5, 600);  // inside slot 0 (0–6 s)
    BOOST_TEST(watched_percent(map) == 1.0);
    mark_watched(map, 5, 13, 600);  // slots 0, 1, 2
    BOOST_TEST(watched_percent(map) == 3.0);
    mark_watched(map, 12, 12, 600);  // empty interval
    mark_watched(map, 30, 20, 600);  // backwards
    mark_watched(map, 0, 10, 0);     // no duration
    BOOST_TEST(watched_percent(map) == 3.0);
    mark_watched(map, 590, 10000, 600);  // clamped to the end: slot 98 (588–594) and 99
    BOOST_TEST(watched_percent(map) == 5.0);
    BOOST_TEST(valid_coverage(map));
    coverage_map full{};
    mark_watched(full, 0, 600, 600);
    BOOST_TEST(watched_percent(full) == 100.0);
    BOOST_TEST(valid_coverage(full));
}

BOOST_AUTO_TEST_CASE(extreme_durations_mark_within_the_map) {
    // Found by the ping fuzzer: with duration 1e-308, slots / duration overflowed to infinity and
    // 0 × ∞ made a NaN slot index.
    coverage_map tiny{};
    mark_watched(tiny, 0, 60, 1e-308);  // clamped to the whole (tiny) content
    BOOST_TEST(watched_percent(tiny) == 100.0);
    coverage_map subnormal{};
    mark_watched(subnormal, 0, 5e-324, 5e-324);
    BOOST_TEST(watched_percent(subnormal) == 100.0);
    coverage_map huge{};
    mark_watched(huge, 0, 1e300, 1e308);  // a hundredth of a millionth… of the content: slot 0
    BOOST_TEST(watched_percent(huge) == 1.0);
    coverage_map unbounded{};
    mark_watched(unbounded, 0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
    mark_watched(unbounded, std::numeric_limits<double>::quiet_NaN(), 10, 600);
    BOOST_TEST(watched_percent(unbounded) == 0.0);  // no length to map onto: nothing marked
    BOOST_TEST(valid_coverage(tiny));
    BOOST_TEST(valid_coverage(huge));
}

BOOST_AUTO_TEST_CASE(replaying_a_part_counts_it_once_and_segment_order_does_not_matter) {
    coverage_map forward{};
    coverage_map backward{};
    const std::pair<double, double> segments[] = {{0, 60}, {300, 360}, {30, 90}, {0, 60}};
    for (const auto& [from, to] : segments) mark_watched(forward, from, to, 600);
    for (auto it = std::rbegin(segments); it != std::rend(segments); ++it) mark_watched(backward, it->first, it->second, 600);
    BOOST_TEST(forward == backward);
    BOOST_TEST(watched_percent(forward) == 25.0);  // 0–90 s and 300–360 s of 600
}

BOOST_AUTO_TEST_CASE(a_jump_beyond_the_elapsed_time_is_a_seek) {
    BOOST_TEST(played_through(100, 105, 5));
    BOOST_TEST(played_through(100, 110, 5));   // 2× playback
    BOOST_TEST(!played_through(100, 112, 5));  // faster than 2× plus slack
    BOOST_TEST(!played_through(0, 594, 5));
    BOOST_TEST(!played_through(100, 90, 5));   // backwards: nothing played forward
    BOOST_TEST(!played_through(100, 100, 5));
}

BOOST_AUTO_TEST_CASE(contiguous_play_fills_the_map_through_the_merge) {
    progress_record record;
    std::int64_t clock = 1'000'000;
    watch(record, 0, 300, merge_rules{}, clock);
    BOOST_TEST(watched_percent(record.watched) == 50.0);
    BOOST_TEST(record.progress_percent == 50.0);
}

BOOST_AUTO_TEST_CASE(seeking_to_the_end_does_not_complete_a_coverage_policy_video) {
    const auto rules = coverage_rules(90);
    progress_record record;
    std::int64_t clock = 1'000'000;
    watch(record, 0, 30, rules, clock);
    merge(record, play(594, clock), rules, clock);  // seek to 99 %
    clock += 5000;
    BOOST_TEST(record.progress_percent == 99.0);
    BOOST_TEST(watched_percent(record.watched) < 10.0);
    BOOST_TEST((record.status == progress_status::in_progress));
    // An end event at 99 % does not complete it either.
    auto end = play(596, clock);
    end.event = ping_event::end;
    merge(record, end, rules, clock);
    clock += 5000;
    BOOST_TEST((record.status == progress_status::in_progress));
    // Watching the rest does.
    watch(record, 30, 560, rules, clock);
    BOOST_TEST(watched_percent(record.watched) >= 90.0);
    BOOST_TEST((record.status == progress_status::completed));
    BOOST_TEST(record.progress_percent == 100.0);
}

BOOST_AUTO_TEST_CASE(under_the_default_policy_seeking_to_the_end_completes) {
    progress_record record;
    std::int64_t clock = 1'000'000;
    merge(record, play(0, clock), merge_rules{}, clock);
    merge(record, play(594, clock + 5000), merge_rules{}, clock + 5000);
    BOOST_TEST((record.status == progress_status::completed));
    BOOST_TEST(watched_percent(record.watched) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_new_session_does_not_continue_the_previous_position) {
    progress_record record;
    merge(record, play(100, 1'000'000, "s1"), merge_rules{}, 1'000'000);
    merge(record, play(104, 1'005'000, "s2"), merge_rules{}, 1'005'000);
    BOOST_TEST(watched_percent(record.watched) == 0.0);
    merge(record, play(109, 1'010'000, "s2"), merge_rules{}, 1'010'000);
    BOOST_TEST(watched_percent(record.watched) > 0.0);
}

BOOST_AUTO_TEST_CASE(a_session_without_sequence_numbers_still_fills) {
    progress_record record;
    for (int i = 0; i < 4; ++i) {
        auto p = play(i * 5.0, 1'000'000 + i * 5000);
        p.seq.reset();
        merge(record, p, merge_rules{}, 1'000'000 + i * 5000);
    }
    BOOST_TEST(watched_percent(record.watched) == 3.0);  // 0–15 s of 600: slots 0, 1, 2
}

BOOST_AUTO_TEST_CASE(a_late_ping_does_not_fill_but_its_segments_do) {
    progress_record record;
    merge(record, play(100, 2'000'000), merge_rules{}, 2'000'000);
    auto late = play(50, 1'000'000);  // older ts: not the resume point, nothing played forward
    late.seq = 2'000'001;             // a new ping of the session, delivered late
    late.segments = {{40, 50}};
    merge(record, late, merge_rules{}, 2'001'000);
    BOOST_TEST(record.position_seconds == 100.0);
    BOOST_TEST(watched_percent(record.watched) == 3.0);  // slots 6 (36–42), 7 (42–48), 8 (48–54)
}

BOOST_AUTO_TEST_CASE(without_ts_the_watch_time_measures_the_elapsed_time) {
    progress_record record;
    ping first = progressd::testing::make_ping({.content = "v", .position = 0, .duration = 100, .time_spent = 0});
    merge(record, first, merge_rules{}, 1000);
    ping next = first;
    next.position_seconds = 10;
    next.time_spent_delta_seconds = 10;
    merge(record, next, merge_rules{}, 1001);
    BOOST_TEST(watched_percent(record.watched) == 10.0);
    next.position_seconds = 90;  // 80 s further after 10 s of watching: a seek
    merge(record, next, merge_rules{}, 1002);
    BOOST_TEST(watched_percent(record.watched) == 10.0);
}

BOOST_AUTO_TEST_CASE(a_ts_of_0_is_a_timestamp) {
    // ts 0 is valid (docs/native-api.md): the next ping's ts measures the playback from it, as
    // any other ts would, rather than the arrival times (1 ms apart here: a seek).
    progress_record record;
    merge(record, play(0, 0), merge_rules{}, 1000);
    BOOST_TEST(record.position_ts == 0);
    merge(record, play(10, 10'000), merge_rules{}, 1001);
    BOOST_TEST(watched_percent(record.watched) == 2.0);  // 10 s of 600, in 1 % slots
}

BOOST_AUTO_TEST_CASE(the_record_codec_tells_ts_0_from_no_ts) {
    progress_record none;
    BOOST_TEST(none.position_ts == no_position_ts);
    std::string plain;
    encode_record(plain, none);
    BOOST_REQUIRE(decode_record(plain));
    BOOST_TEST(decode_record(plain)->position_ts == no_position_ts);  // also what older records with 0 read

    progress_record zero;
    zero.position_ts = 0;
    std::string bytes;
    encode_record(bytes, zero);
    BOOST_TEST(bytes.size() == plain.size() + 2);  // the flags section
    BOOST_REQUIRE(decode_record(bytes));
    BOOST_TEST(decode_record(bytes)->position_ts == 0);
    BOOST_TEST(!decode_record(bytes)->hidden);
    zero.hidden = true;
    encode_record(bytes, zero);
    BOOST_TEST(decode_record(bytes)->position_ts == 0);
    BOOST_TEST(decode_record(bytes)->hidden);

    progress_record later;
    later.position_ts = 1234;
    encode_record(bytes, later);
    BOOST_TEST(bytes.size() == plain.size());
    BOOST_TEST(decode_record(bytes)->position_ts == 1234);
}

BOOST_AUTO_TEST_CASE(the_record_codec_keeps_coverage_and_rejects_bad_bits) {
    progress_record record;
    mark_watched(record.watched, 0, 300, 600);
    std::string bytes;
    encode_record(bytes, record);
    auto decoded = decode_record(bytes);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(decoded->watched == record.watched);
    std::string plain;
    encode_record(plain, progress_record{});
    BOOST_TEST(bytes.size() == plain.size() + 17);  // one tag byte, two words
    auto beyond = bytes;
    beyond[bytes.size() - 1] = '\x80';  // bit 127: past the 100 slots
    BOOST_TEST(!decode_record(beyond));
    auto wrong_tag = bytes;
    wrong_tag[plain.size()] = '\x02';
    BOOST_TEST(!decode_record(wrong_tag));
    BOOST_TEST(!decode_record(bytes + "x"));
    for (std::size_t length = plain.size() + 1; length < bytes.size(); ++length) {
        BOOST_TEST(!decode_record(std::string_view(bytes).substr(0, length)));
    }
}

BOOST_AUTO_TEST_CASE(the_record_codec_keeps_the_hidden_flag_in_its_own_section) {
    progress_record record;
    record.hidden = true;
    std::string bytes;
    encode_record(bytes, record);
    const auto decoded = decode_record(bytes);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(decoded->hidden);
    mark_watched(record.watched, 0, 10, 100);
    encode_record(bytes, record);
    BOOST_REQUIRE(decode_record(bytes));
    BOOST_TEST(decode_record(bytes)->hidden);
    BOOST_TEST(decode_record(bytes)->watched == record.watched);
    auto bad_flags = bytes;
    bad_flags.back() = '\x05';  // bit 2: no such flag
    BOOST_TEST(!decode_record(bad_flags));
    // Sections out of order are damage.
    std::string plain;
    encode_record(plain, progress_record{});
    const std::string coverage = bytes.substr(plain.size(), 17);
    const std::string flags = bytes.substr(plain.size() + 17);
    BOOST_TEST(!decode_record(plain + flags + coverage));
}

BOOST_AUTO_TEST_CASE(completion_rules_parse_and_resolve) {
    auto rule = parse_completion_rule("type:lesson=coverage:90");
    BOOST_REQUIRE(rule);
    BOOST_TEST(!rule->is_default);
    BOOST_TEST(rule->value.name == "lesson");
    BOOST_TEST((rule->value.rule.policy == completion_policy::coverage));
    BOOST_TEST(rule->value.rule.threshold == 90.0);
    rule = parse_completion_rule("mimetype:video/mp4=furthest");
    BOOST_REQUIRE(rule);
    BOOST_TEST(!rule->has_threshold);
    BOOST_TEST(parse_completion_rule("default=coverage:80")->is_default);
    for (auto bad : {"", "type:=coverage", "kind:x=coverage", "type:x=watched", "type:x=coverage:0",
                     "type:x=coverage:101", "type:x=coverage:9x", "type:x"}) {
        BOOST_TEST(!parse_completion_rule(bad), bad);
    }

    merge_rules rules;
    rules.overrides.push_back({completion_override::match::mimetype, "video/mp4", {completion_policy::furthest, 80}});
    rules.overrides.push_back({completion_override::match::type, "lesson", {completion_policy::coverage, 90}});
    BOOST_TEST(rules.has_type_overrides());
    BOOST_TEST(rules.rule_for("lesson", "video/mp4").threshold == 90.0);  // the type wins
    BOOST_TEST(rules.rule_for("", "video/mp4").threshold == 80.0);
    BOOST_TEST(rules.rule_for("quiz", "text/html").threshold == 95.0);  // the default
}

BOOST_AUTO_TEST_SUITE_END()
