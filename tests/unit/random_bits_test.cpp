#include "store/random_bits.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdlib>
#include <set>

using progressd::store::random_bits;

BOOST_AUTO_TEST_SUITE(random_bits_suite)

// The reference implementation's first outputs from the state {1, 2, 3, 4}.
BOOST_AUTO_TEST_CASE(follows_the_reference_sequence) {
    random_bits bits({1, 2, 3, 4});
    BOOST_TEST(bits() == 11520u);
    BOOST_TEST(bits() == 0u);
    BOOST_TEST(bits() == 1509978240u);
    BOOST_TEST(bits() == 1215971899390074240u);
}

BOOST_AUTO_TEST_CASE(seeded_generators_take_different_streams) {
    std::set<std::uint64_t> firsts;
    for (int i = 0; i < 64; ++i) firsts.insert(random_bits{}());
    BOOST_TEST(firsts.size() == 64u);
}

// Record ids keep 122 of these bits: each must be a fair coin, the low ones included.
BOOST_AUTO_TEST_CASE(every_bit_is_set_about_half_the_time) {
    random_bits bits;
    constexpr int draws = 20000;
    std::array<int, 64> ones{};
    for (int i = 0; i < draws; ++i) {
        const auto value = bits();
        for (int b = 0; b < 64; ++b) ones[b] += static_cast<int>((value >> b) & 1);
    }
    for (int b = 0; b < 64; ++b) BOOST_TEST(std::abs(ones[b] - draws / 2) < 600, "bit " << b << ": " << ones[b]);
}

BOOST_AUTO_TEST_SUITE_END()
