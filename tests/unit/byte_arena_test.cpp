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

BOOST_AUTO_TEST_CASE(clear_reuses_the_chunks) {
    byte_arena arena;
    const std::string_view first = arena.store("first batch");
    arena.clear();
    const std::string_view second = arena.store("second");
    BOOST_TEST(second == "second");
    BOOST_TEST(static_cast<const void*>(second.data()) == static_cast<const void*>(first.data()));  // same chunk, from its start
    arena.store(std::string(byte_arena::chunk_bytes * 2, 'x'));  // needs a bigger chunk than the reused one
    BOOST_TEST(arena.store("after it") == "after it");
}

BOOST_AUTO_TEST_CASE(clear_keeps_the_chunks_while_batches_use_a_quarter_of_them_and_frees_the_rest_after_one_that_does_not) {
    byte_arena arena;
    const auto fill_chunks = [&](std::size_t chunks) {
        for (std::size_t i = 0; i < chunks; ++i) arena.store(std::string(byte_arena::chunk_bytes, 'c'));
    };
    fill_chunks(8);
    arena.clear();
    BOOST_TEST(arena.reserved_bytes() >= 8 * byte_arena::chunk_bytes);
    fill_chunks(2);  // a quarter: all eight kept
    arena.clear();
    BOOST_TEST(arena.reserved_bytes() >= 8 * byte_arena::chunk_bytes);
    fill_chunks(1);  // less: only the one it used
    arena.clear();
    BOOST_TEST(arena.reserved_bytes() >= byte_arena::chunk_bytes);
    BOOST_TEST(arena.reserved_bytes() < 2 * byte_arena::chunk_bytes);
    fill_chunks(5);
    arena.clear();
    arena.clear();  // an empty batch after it: nothing kept
    BOOST_TEST(arena.reserved_bytes() == 0u);
    BOOST_TEST(arena.store("again") == "again");
}

BOOST_AUTO_TEST_CASE(a_buffer_is_kept_while_the_batch_fills_a_quarter_of_it_and_small_ones_always) {
    using progressd::store::keep_for_next_batch;
    BOOST_TEST(keep_for_next_batch(25, 100, 10));
    BOOST_TEST(!keep_for_next_batch(24, 100, 10));
    BOOST_TEST(!keep_for_next_batch(0, 100, 10));
    BOOST_TEST(keep_for_next_batch(0, 10, 10));
}

BOOST_AUTO_TEST_SUITE_END()
