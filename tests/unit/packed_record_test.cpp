#include "store/packed_record.hpp"

#include <boost/test/unit_test.hpp>

using namespace progressd::store;

namespace {

progress_record full_record() {
    progress_record record;
    for (std::size_t i = 0; i < record.record_id.size(); ++i) record.record_id[i] = static_cast<std::uint8_t>(i + 1);
    record.status = progress_status::completed;
    record.progress_percent = 100;
    record.position_seconds = 12.5;
    record.duration_seconds = 600;
    record.time_spent_seconds = 42.25;
    record.views = 7;
    record.position_ts = 1700000000123;
    record.first_accessed_at = 1;
    record.last_accessed_at = 2;
    record.updated_at = 3;
    record.completed_at = 4;
    record.mimetype = "application/vnd.apple.mpegurl";  // longer than the small-string buffer
    record.details = R"({"chapter":3})";
    record.replay = session_window{99, 17, 0b101};
    record.watched = {0xff, 0x3};
    record.hidden = true;
    record.annotations = std::make_shared<const record_annotations>(record_annotations{"note", true, "{}"});
    return record;
}

void check_equal(const progress_record& a, const progress_record& b) {
    BOOST_TEST((a.record_id == b.record_id));
    BOOST_TEST((a.status == b.status));
    BOOST_TEST(a.progress_percent == b.progress_percent);
    BOOST_TEST(a.position_seconds == b.position_seconds);
    BOOST_TEST(a.duration_seconds == b.duration_seconds);
    BOOST_TEST(a.time_spent_seconds == b.time_spent_seconds);
    BOOST_TEST(a.views == b.views);
    BOOST_TEST(a.position_ts == b.position_ts);
    BOOST_TEST(a.first_accessed_at == b.first_accessed_at);
    BOOST_TEST(a.last_accessed_at == b.last_accessed_at);
    BOOST_TEST(a.updated_at == b.updated_at);
    BOOST_TEST(a.completed_at == b.completed_at);
    BOOST_TEST(a.mimetype == b.mimetype);
    BOOST_TEST(a.details == b.details);
    BOOST_TEST((a.replay == b.replay));
    BOOST_TEST((a.watched == b.watched));
    BOOST_TEST(a.hidden == b.hidden);
    BOOST_TEST(static_cast<bool>(a.annotations) == static_cast<bool>(b.annotations));
    if (a.annotations && b.annotations) BOOST_TEST((*a.annotations == *b.annotations));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(packed_record_suite)

BOOST_AUTO_TEST_CASE(every_field_survives_pack_and_unpack) {
    intern_table strings;
    packed_record packed;
    pack(packed, full_record(), strings);
    BOOST_TEST(static_cast<bool>(packed.extras));
    check_equal(unpack(packed, strings), full_record());
    check_equal(take(packed, strings), full_record());
}

BOOST_AUTO_TEST_CASE(a_new_record_unpacks_to_a_new_progress_record) {
    intern_table strings;
    const progress_record fresh = unpack(packed_record{}, strings);
    check_equal(fresh, progress_record{});
    BOOST_TEST(fresh.position_ts == no_position_ts);
}

BOOST_AUTO_TEST_CASE(times_at_the_edges_of_six_bytes_survive_exactly) {
    constexpr std::int64_t six_bytes = std::int64_t{1} << 48;
    constexpr std::int64_t largest_integer = std::int64_t{1} << 53;  // what the APIs accept
    struct times {
        std::int64_t position_ts, first, last, updated, completed;
        bool inline_fit;
    };
    const times cases[] = {
        {no_position_ts, 0, 0, 0, 0, true},
        {0, 1, 2, 3, 4, true},
        {six_bytes - 3, six_bytes - 2, six_bytes - 2, six_bytes - 2, six_bytes - 2, true},
        {six_bytes - 2, 1, 1, 1, 1, false},  // position_ts is kept plus one
        {1, six_bytes - 1, 1, 1, 1, false},
        {largest_integer, largest_integer, largest_integer, largest_integer, largest_integer, false},
        {1, 1, -5, 1, 1, false},
    };
    for (const auto& c : cases) {
        intern_table strings;
        progress_record record;
        record.position_ts = c.position_ts;
        record.first_accessed_at = c.first;
        record.last_accessed_at = c.last;
        record.updated_at = c.updated;
        record.completed_at = c.completed;
        packed_record packed;
        pack(packed, progress_record(record), strings);
        BOOST_TEST(static_cast<bool>(packed.extras) == !c.inline_fit);
        check_equal(unpack(packed, strings), record);
        BOOST_TEST(last_accessed_at(packed) == c.last);
        // Back into six bytes: the extras go.
        record.position_ts = 5;
        record.first_accessed_at = record.last_accessed_at = record.updated_at = record.completed_at = 6;
        pack(packed, progress_record(record), strings);
        BOOST_TEST(!packed.extras);
        check_equal(take(packed, strings), record);
    }
}

BOOST_AUTO_TEST_CASE(a_plain_record_has_no_extras) {
    intern_table strings;
    progress_record record;
    record.position_seconds = 5;
    record.mimetype = "video/mp4";
    packed_record packed;
    pack(packed, progress_record(record), strings);
    BOOST_TEST(!packed.extras);
    check_equal(unpack(packed, strings), record);
}

BOOST_AUTO_TEST_CASE(take_then_pack_gives_the_strings_back) {
    intern_table strings;
    packed_record packed;
    pack(packed, full_record(), strings);
    progress_record work = take(packed, strings);
    work.position_seconds = 30;
    pack(packed, std::move(work), strings);
    progress_record expected = full_record();
    expected.position_seconds = 30;
    check_equal(unpack(packed, strings), expected);
}

BOOST_AUTO_TEST_CASE(emptying_the_rare_fields_frees_the_extras) {
    intern_table strings;
    packed_record packed;
    pack(packed, full_record(), strings);
    progress_record work = take(packed, strings);
    work.details.clear();
    work.annotations.reset();
    work.replay = {};
    work.watched = {};
    pack(packed, std::move(work), strings);
    BOOST_TEST(!packed.extras);
}

BOOST_AUTO_TEST_CASE(a_changed_mimetype_moves_its_reference) {
    intern_table strings;
    packed_record a;
    packed_record b;
    progress_record record;
    record.mimetype = "video/mp4";
    pack(a, progress_record(record), strings);
    pack(b, progress_record(record), strings);
    BOOST_TEST(a.mimetype == b.mimetype);
    BOOST_TEST(strings.references(a.mimetype) == 2u);
    record.mimetype = "audio/mpeg";
    pack(a, progress_record(record), strings);
    BOOST_TEST(strings.text(a.mimetype) == "audio/mpeg");
    BOOST_TEST(strings.references(b.mimetype) == 1u);
    pack(a, progress_record(record), strings);  // unchanged: no new reference
    BOOST_TEST(strings.references(a.mimetype) == 1u);
    release_strings(a, strings);
    release_strings(b, strings);
    BOOST_TEST(strings.size() == 0u);
}

BOOST_AUTO_TEST_CASE(unpack_into_resets_what_the_scratch_record_held) {
    intern_table strings;
    packed_record rich;
    packed_record plain;
    pack(rich, full_record(), strings);
    pack(plain, progress_record{}, strings);
    progress_record scratch;
    unpack_into(rich, strings, scratch);
    unpack_into(plain, strings, scratch);
    check_equal(scratch, progress_record{});
}

BOOST_AUTO_TEST_CASE(take_into_a_reused_scratch_record_leaves_nothing_of_the_last_one) {
    intern_table strings;
    packed_record rich;
    packed_record plain;
    pack(rich, full_record(), strings);
    pack(plain, progress_record{}, strings);
    progress_record scratch;
    take_into(rich, strings, scratch);
    check_equal(scratch, full_record());
    pack(rich, std::move(scratch), strings);
    take_into(plain, strings, scratch);
    check_equal(scratch, progress_record{});
    pack(plain, std::move(scratch), strings);
    check_equal(unpack(rich, strings), full_record());
    BOOST_TEST(!plain.extras);
}

BOOST_AUTO_TEST_SUITE_END()
