#include "store/byte_arena.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

using progressd::store::byte_arena;

BOOST_AUTO_TEST_SUITE(byte_arena_suite)

BOOST_AUTO_TEST_CASE(views_stay_valid_while_chunks_fill_and_new_ones_start) {
    byte_arena arena;
    std::vector<std::string> expected;
    std::vector<std::string_view> views;
    // ~3 chunks' worth of strings of varying sizes, one larger than a chunk.
    for (int i = 0; i < 40000; ++i) expected.push_back(std::string(static_cast<std::size_t>(i % 97 + 1), char('a' + i % 26)));
    expected.push_back(std::string(byte_arena::chunk_bytes + 10, 'z'));
    expected.push_back("after the big one");
    for (const auto& text : expected) views.push_back(arena.store(text));
    for (std::size_t i = 0; i < expected.size(); ++i) BOOST_REQUIRE(views[i] == expected[i]);
}

BOOST_AUTO_TEST_CASE(clear_reuses_the_chunks_and_release_frees_them) {
    byte_arena arena;
    const std::string_view first = arena.store("first batch");
    arena.clear();
    const std::string_view second = arena.store("second");
    BOOST_TEST(second == "second");
    BOOST_TEST(static_cast<const void*>(second.data()) == static_cast<const void*>(first.data()));  // same chunk, from its start
    arena.store(std::string(byte_arena::chunk_bytes * 2, 'x'));  // needs a bigger chunk than the reused one
    arena.release();
    BOOST_TEST(arena.store("") == "");
    BOOST_TEST(arena.store("again") == "again");
}

BOOST_AUTO_TEST_SUITE_END()
