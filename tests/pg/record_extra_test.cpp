#include "store/postgres/record_extra.hpp"

#include "sample_records.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace progressd::store;
using progressd::testing::record_shapes;
using progressd::testing::require_same;

BOOST_AUTO_TEST_SUITE(record_extra)

BOOST_AUTO_TEST_CASE(a_plain_record_has_no_extra) {
    progress_record plain;
    plain.status = progress_status::completed;
    plain.hidden = true;  // a real column, not an extra part
    std::string out;
    encode_record_extra(out, plain);
    BOOST_TEST(out.empty());
}

// Everything the extra holds comes back; the rest of the record is untouched by decoding.
BOOST_AUTO_TEST_CASE(every_shape_round_trips) {
    for (const auto& shape : record_shapes()) {
        std::string bytes;
        encode_record_extra(bytes, shape);
        progress_record back;
        if (!bytes.empty()) BOOST_REQUIRE(decode_record_extra(bytes, back));
        BOOST_TEST(back.details == shape.details);
        BOOST_TEST(back.watched == shape.watched);
        BOOST_TEST((back.replay == shape.replay));
        BOOST_TEST(back.replay.sessions() == shape.replay.sessions());
        BOOST_TEST(bool(back.annotations) == bool(shape.annotations && !shape.annotations->empty()));
        if (back.annotations) BOOST_TEST((*back.annotations == *shape.annotations));
    }
}

BOOST_AUTO_TEST_CASE(damaged_bytes_are_refused) {
    std::string good;
    encode_record_extra(good, progressd::testing::record_shapes()[2]);  // every section
    BOOST_REQUIRE(!good.empty());
    progress_record scratch;
    BOOST_TEST(decode_record_extra(good, scratch));

    // A cut inside a section is refused; one between sections is a shorter value of its own, and
    // must then decode to exactly what encodes back to it.
    std::size_t refused_cuts = 0;
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        progress_record r;
        const std::string prefix = good.substr(0, cut);
        if (!decode_record_extra(prefix, r)) {
            ++refused_cuts;
            continue;
        }
        std::string again;
        encode_record_extra(again, r);
        BOOST_TEST_CONTEXT("cut at " << cut) { BOOST_TEST(again == prefix); }
    }
    BOOST_TEST(refused_cuts >= good.size() - 4);  // all but the three section boundaries
    const auto refused = [](std::string bytes) {
        progress_record r;
        return !decode_record_extra(bytes, r);
    };
    BOOST_TEST(refused(std::string("\x02", 1)));                 // unknown version
    BOOST_TEST(refused(std::string("\x01\x09", 2)));             // unknown section
    BOOST_TEST(refused(std::string("\x01\x02\x00\x00\x00\x00", 6)));  // empty details are never written
    std::string unordered = "\x01";
    unordered += std::string("\x02\x01\x00\x00\x00x", 6);
    unordered += std::string("\x02\x01\x00\x00\x00y", 6);  // the same section twice
    BOOST_TEST(refused(unordered));
    std::string beyond_coverage = "\x01\x01";
    beyond_coverage += std::string(8, '\0');
    beyond_coverage += std::string("\x00\x00\x00\x00\x10\x00\x00\x00", 8);  // bit 100
    BOOST_TEST(refused(beyond_coverage));
}

BOOST_AUTO_TEST_CASE(session_windows_must_be_distinct_sessions) {
    progress_record r;
    r.replay.newest = {5, 1, 1};
    r.replay.older = std::make_unique<replay_window::older_windows>();
    (*r.replay.older)[0] = {6, 1, 1};
    std::string bytes;
    encode_record_extra(bytes, r);
    // The older window's hash sits in the last 24 bytes: make it repeat the newest's, then zero.
    std::string same = bytes;
    same[same.size() - 24] = 5;
    progress_record back;
    BOOST_TEST(!decode_record_extra(same, back));
    std::string zero = bytes;
    zero[zero.size() - 24] = 0;
    progress_record back2;
    BOOST_TEST(!decode_record_extra(zero, back2));
}

BOOST_AUTO_TEST_SUITE_END()
