#pragma once
// Records of many shapes for the round-trip tests, and an exact comparison: doubles bit for bit,
// every field, the annotations by value.

#include "store/record.hpp"

#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace progressd::testing {

inline void require_same(const store::progress_record& a, const store::progress_record& b) {
    const auto bits = [](double d) { return std::bit_cast<std::uint64_t>(d); };
    BOOST_TEST(a.record_id == b.record_id);
    BOOST_TEST(static_cast<int>(a.status) == static_cast<int>(b.status));
    BOOST_TEST(bits(a.progress_percent) == bits(b.progress_percent));
    BOOST_TEST(bits(a.position_seconds) == bits(b.position_seconds));
    BOOST_TEST(bits(a.duration_seconds) == bits(b.duration_seconds));
    BOOST_TEST(bits(a.time_spent_seconds) == bits(b.time_spent_seconds));
    BOOST_TEST(a.views == b.views);
    BOOST_TEST(a.position_ts == b.position_ts);
    BOOST_TEST(a.first_accessed_at == b.first_accessed_at);
    BOOST_TEST(a.last_accessed_at == b.last_accessed_at);
    BOOST_TEST(a.updated_at == b.updated_at);
    BOOST_TEST(a.completed_at == b.completed_at);
    BOOST_TEST(a.mimetype == b.mimetype);
    BOOST_TEST(a.details == b.details);
    BOOST_TEST((a.replay == b.replay));
    BOOST_TEST(a.replay.sessions() == b.replay.sessions());
    BOOST_TEST(a.watched == b.watched);
    BOOST_TEST(a.hidden == b.hidden);
    const bool a_notes = a.annotations && !a.annotations->empty();
    const bool b_notes = b.annotations && !b.annotations->empty();
    BOOST_TEST(a_notes == b_notes);
    if (a_notes && b_notes) BOOST_TEST((*a.annotations == *b.annotations));
}

inline std::array<std::uint8_t, 16> uuid_of(std::uint8_t seed) {
    std::array<std::uint8_t, 16> id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
    return id;
}

// A record with every field away from its default.
inline store::progress_record full_record(std::uint8_t seed) {
    store::progress_record r;
    r.record_id = uuid_of(seed);
    r.status = store::progress_status::in_progress;
    r.progress_percent = 100.0 / 3.0 + seed;
    r.position_seconds = 0.1 + 0.2 + seed;
    r.duration_seconds = 3600.5;
    r.time_spent_seconds = 1e-300;
    r.views = 3 + seed;
    r.position_ts = 1'700'000'000'123 + seed;
    r.first_accessed_at = 1'700'000'000'000;
    r.last_accessed_at = 1'700'000'100'000 + seed;
    r.updated_at = 1'700'000'100'001 + seed;
    r.mimetype = "video/mp4";
    r.details = R"({"chapter":3,"note":"h\u00e9llo ✓ 日本"})";
    r.watched = {0x8000'0000'0000'0001ull, (1ull << 35) | 1};  // slots 0, 63, 64, 99
    r.replay.newest = {0x1234'5678'9abc'def0ull + seed, 42, 0xffff'ffff'ffff'ffffull};
    return r;
}

// Shapes that each stress one part of the row: defaults, completion, every optional part,
// boundary numbers.
inline std::vector<store::progress_record> record_shapes() {
    std::vector<store::progress_record> shapes;

    shapes.emplace_back();  // a record as created: no extra, NULL times and mimetype

    auto completed = full_record(1);
    completed.status = store::progress_status::completed;
    completed.progress_percent = 100;
    completed.completed_at = 1'700'000'200'000;
    completed.position_ts = 0;  // ts 0 is a timestamp, not "none"
    completed.views = std::numeric_limits<std::uint32_t>::max();
    shapes.push_back(completed);

    auto four_sessions = full_record(2);
    four_sessions.replay.older = std::make_unique<store::replay_window::older_windows>();
    (*four_sessions.replay.older)[0] = {77, 5, 0b1011};
    (*four_sessions.replay.older)[1] = {78, 0, 1};
    (*four_sessions.replay.older)[2] = {79, std::numeric_limits<std::int64_t>::max(), 0};
    shapes.push_back(std::move(four_sessions));

    auto two_sessions = full_record(3);
    two_sessions.replay.older = std::make_unique<store::replay_window::older_windows>();
    (*two_sessions.replay.older)[0] = {99, 63, 1ull << 63};
    shapes.push_back(std::move(two_sessions));

    auto annotated = full_record(4);
    annotated.hidden = true;
    annotated.annotations = std::make_shared<store::record_annotations>(
        store::record_annotations{"notes: ünïcødé ✓\nline two", true, R"({"k":[1,2,{"x":null}]})"});
    shapes.push_back(std::move(annotated));

    auto bookmark_only = full_record(5);
    bookmark_only.annotations = std::make_shared<store::record_annotations>(store::record_annotations{"", true, ""});
    bookmark_only.details.clear();
    bookmark_only.watched = {};
    bookmark_only.replay = {};
    shapes.push_back(std::move(bookmark_only));

    auto odd_numbers = full_record(6);
    odd_numbers.progress_percent = -0.0;
    odd_numbers.position_seconds = std::numeric_limits<double>::denorm_min();
    odd_numbers.duration_seconds = std::numeric_limits<double>::max();
    odd_numbers.time_spent_seconds = 1e7 + 0.000001;
    odd_numbers.first_accessed_at = std::numeric_limits<std::int64_t>::min();
    odd_numbers.updated_at = std::numeric_limits<std::int64_t>::max();
    odd_numbers.completed_at = -5;
    odd_numbers.position_ts = std::numeric_limits<std::int64_t>::max();
    shapes.push_back(std::move(odd_numbers));

    auto details_only = store::progress_record{};
    details_only.record_id = uuid_of(7);
    details_only.details = std::string(4096, 'x');
    shapes.push_back(std::move(details_only));

    auto window_without_session = store::progress_record{};
    window_without_session.replay.newest = {0, 7, 0b11};
    shapes.push_back(std::move(window_without_session));

    return shapes;
}

}  // namespace progressd::testing
