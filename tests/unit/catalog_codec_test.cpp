#include "store/codec/catalog_codec.hpp"

#include <boost/test/unit_test.hpp>

using namespace progressd::store;

namespace {

content_entry full_entry() {
    content_entry e;
    e.id = "course-1";
    e.type = "course";
    e.title = "Intro — ünïcode";
    e.duration_seconds = 1234.5;
    e.parent_id = "program-1";
    e.children = {"l1", "l2", "quiz-3"};
    e.optional = true;
    e.attributes = R"({"thumbnail_url":"https://x/t.png"})";
    e.learned = true;
    e.updated_at = 1'700'000'000'123;
    return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catalog_codec_suite)

BOOST_AUTO_TEST_CASE(round_trips_every_field) {
    const auto original = full_entry();
    const auto decoded = decode_catalog_entry(original.id, encode_catalog_entry(original));
    BOOST_REQUIRE(decoded);
    BOOST_TEST((*decoded == original));
}

BOOST_AUTO_TEST_CASE(round_trips_a_minimal_entry) {
    content_entry minimal;
    minimal.id = "x";
    const auto decoded = decode_catalog_entry("x", encode_catalog_entry(minimal));
    BOOST_REQUIRE(decoded);
    BOOST_TEST((*decoded == minimal));
    BOOST_TEST(!decoded->duration_seconds);
}

BOOST_AUTO_TEST_CASE(rejects_every_truncation_and_trailing_bytes) {
    const auto bytes = encode_catalog_entry(full_entry());
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        BOOST_TEST(!decode_catalog_entry("course-1", bytes.substr(0, length)), "length " << length);
    }
    BOOST_TEST(!decode_catalog_entry("course-1", bytes + "x"));
}

BOOST_AUTO_TEST_CASE(rejects_unknown_versions_flags_and_bad_ids) {
    auto bytes = encode_catalog_entry(full_entry());
    auto other_version = bytes;
    other_version[0] = 2;
    BOOST_TEST(!decode_catalog_entry("course-1", other_version));
    auto unknown_flag = bytes;
    unknown_flag[1] = static_cast<char>(unknown_flag[1] | 0x80);
    BOOST_TEST(!decode_catalog_entry("course-1", unknown_flag));
    BOOST_TEST(!decode_catalog_entry("bad id", bytes));
    BOOST_TEST(!decode_catalog_entry("", bytes));
    auto bad_child = full_entry();
    bad_child.children.push_back("no spaces");
    BOOST_TEST(!decode_catalog_entry("course-1", encode_catalog_entry(bad_child)));
}

BOOST_AUTO_TEST_SUITE_END()
