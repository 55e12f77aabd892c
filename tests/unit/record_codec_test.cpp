#include "store/codec/record_codec.hpp"

#include "store/codec/byte_codec.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

using namespace progressd::store;

namespace {

// Joins parts with '\0', so malformed keys can be spelled without octal-escape pitfalls.
std::string joined(std::initializer_list<std::string_view> parts) {
    std::string key;
    bool first = true;
    for (auto part : parts) {
        if (!std::exchange(first, false)) key.push_back('\0');
        key.append(part);
    }
    return key;
}

// Every field differs from its default, so a field the codec forgot would show up.
progress_record full_record(std::string mimetype, std::string details) {
    progress_record record;
    for (std::size_t i = 0; i < record.record_id.size(); ++i) record.record_id[i] = static_cast<std::uint8_t>(0xf0 + i);
    record.status = progress_status::in_progress;
    record.progress_percent = 42.5;
    record.position_seconds = 123.25;
    record.duration_seconds = 600.75;
    record.time_spent_seconds = 98.5;
    record.views = 7;
    record.position_ts = 1'700'000'000'123;
    record.first_accessed_at = 1'700'000'000'001;
    record.last_accessed_at = 1'700'000'000'002;
    record.updated_at = 1'700'000'000'003;
    record.completed_at = 1'700'000'000'004;
    record.mimetype = std::move(mimetype);
    record.details = std::move(details);
    record.replay = session_window{0xfedc'ba98'7654'3210, 4'000'000'000'000, 0x8000'0000'0000'0001};
    return record;
}

void check_same(const progress_record& a, const progress_record& b) {
    BOOST_TEST(format_uuid(a.record_id) == format_uuid(b.record_id));
    BOOST_TEST(static_cast<int>(a.status) == static_cast<int>(b.status));
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
}

std::string encoded(const progress_record& record) {
    std::string bytes;
    encode_record(bytes, record);
    return bytes;
}

// A record as written before several sessions were remembered (one replay window in the fixed
// fields, no section 0x04), spelled field by field so the test does not depend on the encoder.
std::string one_session_form() {
    std::string bytes;
    byte_writer w(bytes);
    w.put(std::uint8_t{1});
    bytes.append(16, '\x07');
    w.put(std::uint8_t{1});  // in progress
    for (double value : {10.0, 60.0, 600.0, 25.0}) w.put(value);
    w.put(std::uint32_t{2});
    for (std::int64_t value : {1, 2, 3, 4, 0}) w.put(value);
    w.put(std::uint64_t{0x1234});   // session hash
    w.put(std::int64_t{9});         // highest seq
    w.put(std::uint64_t{0b1011});   // seen bits
    w.put_string<std::uint16_t>("video/mp4");
    w.put_string<std::uint32_t>("");
    w.put(std::uint8_t{1});  // coverage
    w.put(std::uint64_t{3});
    w.put(std::uint64_t{0});
    return bytes;
}

// Offset of the status byte: the version byte, then the 16-byte record id.
constexpr std::size_t status_offset = 1 + 16;

}  // namespace

BOOST_AUTO_TEST_SUITE(record_codec_suite)

BOOST_AUTO_TEST_CASE(key_round_trips) {
    std::string bytes = "stale";  // encode_key replaces, never appends
    encode_key(bytes, "user-1", record_key{"ctx.A", "content:9"});
    BOOST_TEST(bytes == joined({"user-1", "ctx.A", "content:9"}));
    const auto key = decode_key(bytes);
    BOOST_REQUIRE(key);
    BOOST_TEST(key->user_id == "user-1");
    BOOST_TEST(key->context_id == "ctx.A");
    BOOST_TEST(key->content_id == "content:9");
}

BOOST_AUTO_TEST_CASE(key_with_empty_context_round_trips) {
    std::string bytes;
    encode_key(bytes, "u1", record_key{"", "c1"});
    BOOST_TEST(bytes.size() == 6u);  // "u1", two separators, "c1"
    const auto key = decode_key(bytes);
    BOOST_REQUIRE(key);
    BOOST_TEST(key->user_id == "u1");
    BOOST_TEST(key->context_id.empty());
    BOOST_TEST(key->content_id == "c1");
}

BOOST_AUTO_TEST_CASE(decode_key_rejects_malformed_keys) {
    BOOST_TEST(!decode_key(""));
    BOOST_TEST(!decode_key("no-separators"));
    BOOST_TEST(!decode_key(joined({"u1", "c1"})));                // one separator only
    BOOST_TEST(!decode_key(joined({"", "ctx", "c1"})));           // empty user
    BOOST_TEST(!decode_key(joined({"u1", "ctx", ""})));           // empty content
    BOOST_TEST(!decode_key(joined({"u1", "", ""})));              // empty content, empty context
    BOOST_TEST(!decode_key(joined({"u1", "ctx", "c1", "extra"})));  // a third separator
    BOOST_TEST(!decode_key(joined({"u1", "ctx", "c1", ""})));     // trailing separator
}

BOOST_AUTO_TEST_CASE(record_round_trips_every_field) {
    const auto original = full_record("video/mp4", std::string(4096, 'd'));
    std::string bytes = "stale";  // encode_record replaces, never appends
    encode_record(bytes, original);
    BOOST_TEST(bytes[0] == '\x01');  // the format version comes first
    const auto decoded = decode_record(bytes);
    BOOST_REQUIRE(decoded);
    check_same(*decoded, original);
}

BOOST_AUTO_TEST_CASE(record_with_empty_strings_and_default_fields_round_trips) {
    const progress_record original;  // defaults: highest_seq -1, zero ids and times
    const auto decoded = decode_record(encoded(original));
    BOOST_REQUIRE(decoded);
    check_same(*decoded, original);

    const auto full = full_record("", "");
    const auto decoded_full = decode_record(encoded(full));
    BOOST_REQUIRE(decoded_full);
    check_same(*decoded_full, full);
}

BOOST_AUTO_TEST_CASE(the_one_session_form_still_decodes) {
    const std::string old = one_session_form();
    const auto decoded = decode_record(old);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(decoded->replay.sessions() == 1u);
    BOOST_TEST((decoded->replay.newest == session_window{0x1234, 9, 0b1011}));
    BOOST_TEST(!decoded->replay.older);
    BOOST_TEST(decoded->time_spent_seconds == 25.0);
    BOOST_TEST(decoded->watched[0] == 3u);
    // A record with one session is still written in that form, byte for byte.
    BOOST_TEST(encoded(*decoded) == old);
}

BOOST_AUTO_TEST_CASE(older_sessions_round_trip_in_their_section) {
    auto record = full_record("video/mp4", "");
    record.replay.older = std::make_unique<replay_window::older_windows>(
        replay_window::older_windows{session_window{11, 5, 0b1}, session_window{12, 70, ~0ull}, session_window{13, 0, 1}});
    const std::string bytes = encoded(record);
    BOOST_TEST(bytes.size() == encoded(full_record("video/mp4", "")).size() + 2 + 3 * 24);
    const auto decoded = decode_record(bytes);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(decoded->replay.sessions() == 4u);
    BOOST_TEST((decoded->replay == record.replay));

    // Two older sessions: the count says so, the empty third slot is not written.
    (*record.replay.older)[2] = {};
    const auto two = decode_record(encoded(record));
    BOOST_REQUIRE(two);
    BOOST_TEST(two->replay.sessions() == 3u);
}

BOOST_AUTO_TEST_CASE(damaged_older_sessions_are_rejected) {
    const std::string base = one_session_form();
    const auto with_section = [&](std::uint8_t count, std::initializer_list<std::uint64_t> hashes) {
        std::string bytes = base;
        byte_writer w(bytes);
        w.put(std::uint8_t{4});
        w.put(count);
        for (std::uint64_t hash : hashes) {
            w.put(hash);
            w.put(std::int64_t{1});
            w.put(std::uint64_t{1});
        }
        return bytes;
    };
    BOOST_TEST(decode_record(with_section(1, {0x99})).has_value());
    BOOST_TEST(!decode_record(with_section(0, {})));              // an empty section is never written
    BOOST_TEST(!decode_record(with_section(4, {1, 2, 3, 4})));    // beyond the bound
    BOOST_TEST(!decode_record(with_section(2, {0x99})));          // truncated
    BOOST_TEST(!decode_record(with_section(1, {0})));             // an empty window
    BOOST_TEST(!decode_record(with_section(1, {0x1234})));        // the most recent session again
    BOOST_TEST(!decode_record(with_section(2, {0x99, 0x99})));    // twice the same session
}

BOOST_AUTO_TEST_CASE(every_status_round_trips) {
    for (auto status : {progress_status::not_started, progress_status::in_progress, progress_status::completed}) {
        auto record = full_record("text/html", "{}");
        record.status = status;
        const auto decoded = decode_record(encoded(record));
        BOOST_REQUIRE(decoded);
        BOOST_TEST(static_cast<int>(decoded->status) == static_cast<int>(status));
    }
}

BOOST_AUTO_TEST_CASE(decode_record_rejects_empty_and_unknown_versions) {
    BOOST_TEST(!decode_record(""));
    const std::string valid = encoded(full_record("video/mp4", "{\"a\":1}"));
    for (char version : {'\x00', '\x02', '\xff'}) {
        std::string bytes = valid;
        bytes[0] = version;
        BOOST_TEST(!decode_record(bytes), "version byte " << int(version));
    }
}

BOOST_AUTO_TEST_CASE(decode_record_rejects_every_truncation) {
    // Non-empty strings, so prefixes ending inside a length prefix or inside a string are covered.
    const std::string valid = encoded(full_record("video/mp4", "{\"a\":1}"));
    BOOST_REQUIRE(decode_record(valid));
    for (std::size_t length = 0; length < valid.size(); ++length) {
        BOOST_TEST(!decode_record(std::string_view(valid).substr(0, length)), "prefix of " << length << " bytes");
    }
}

BOOST_AUTO_TEST_CASE(decode_record_rejects_trailing_garbage) {
    const std::string valid = encoded(full_record("video/mp4", "{}"));
    BOOST_TEST(!decode_record(valid + '\0'));
    BOOST_TEST(!decode_record(valid + "garbage"));
}

BOOST_AUTO_TEST_CASE(decode_record_rejects_an_unknown_status) {
    std::string bytes = encoded(full_record("video/mp4", "{}"));
    bytes[status_offset] = '\x02';
    BOOST_REQUIRE(decode_record(bytes));  // the offset really is the status byte
    bytes[status_offset] = '\x03';
    BOOST_TEST(!decode_record(bytes));
    bytes[status_offset] = '\xff';
    BOOST_TEST(!decode_record(bytes));
}

BOOST_AUTO_TEST_SUITE_END()
