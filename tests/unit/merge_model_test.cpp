#include "store/merge.hpp"

#include "tests/unit/replay_model.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <random>

// Merge rule 3 (docs/data-model.md) against the reference model of tests/unit/replay_model.hpp:
// thousands of random histories of interleaved sessions, retries, reorderings and codec trips.

BOOST_AUTO_TEST_SUITE(merge_model_suite)

BOOST_AUTO_TEST_CASE(random_histories_count_each_ping_once_within_the_bound) {
    constexpr std::uint32_t runs = 3000;
    std::size_t pings = 0;
    std::size_t duplicates = 0;
    for (std::uint32_t seed = 1; seed <= runs; ++seed) {
        std::mt19937 random(seed);
        const auto choose = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
        std::size_t steps = 20 + choose(300);
        const auto run = progressd::testing::run_replay_model(choose, [&] { return steps-- > 0; });
        BOOST_TEST_REQUIRE(run.ok, "seed " << seed << ": " << run.failure);
        pings += run.pings;
        duplicates += run.duplicates;
    }
    std::cout << "merge_model: " << runs << " runs, " << pings << " pings, " << duplicates << " duplicates\n";
    BOOST_TEST(duplicates > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
