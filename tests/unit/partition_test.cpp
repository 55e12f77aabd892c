#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

using namespace progressd::store;

BOOST_AUTO_TEST_SUITE(partition)

// The standard check value of CRC-32 and a few more, as zlib.crc32 computes them: the function
// must stay the one HAProxy's crc32 converter and Python's zlib compute.
BOOST_AUTO_TEST_CASE(crc32_is_the_zlib_crc) {
    using progressd::crc32;
    BOOST_TEST(crc32("") == 0x00000000u);
    BOOST_TEST(crc32("123456789") == 0xCBF43926u);
    BOOST_TEST(crc32("a") == 0xE8B7BE43u);
    BOOST_TEST(crc32("550e8400-e29b-41d4-a716-446655440000") == 0xC03C00F1u);
}

// The write-ahead log computes a frame's CRC piece by piece as the frame is written.
BOOST_AUTO_TEST_CASE(crc32_continues_from_the_bytes_before) {
    using progressd::crc32;
    BOOST_TEST(crc32("56789", crc32("1234")) == 0xCBF43926u);
    BOOST_TEST(crc32("", crc32("123456789")) == 0xCBF43926u);
    BOOST_TEST(crc32("123456789", crc32("")) == 0xCBF43926u);
}

// Partitions are stored in PostgreSQL and used by the load balancer: these values may never
// change (computed independently with Python's zlib.crc32(id) % 1024).
BOOST_AUTO_TEST_CASE(partitions_are_stable) {
    struct known {
        const char* user_id;
        std::uint32_t partition;
    };
    constexpr std::array<known, 7> cases{{{"user-1", 532},
                                          {"user-42", 115},
                                          {"alice@example.com", 553},
                                          {"7", 642},
                                          {"u:1.2_3-4@x", 498},
                                          {"123456789", 294},
                                          {"550e8400-e29b-41d4-a716-446655440000", 241}}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.user_id) { BOOST_TEST(partition_of(c.user_id) == c.partition); }
    }
    BOOST_TEST(partition_count == 1024u);
}

// Ids of the usual shapes (sequential names, integers, UUIDs) spread evenly: every partition gets
// some, none more than 1.25× its share, so a node's share of partitions is its share of users.
BOOST_AUTO_TEST_CASE(ids_spread_over_every_partition) {
    const std::array<const char*, 3> formats{"user-%d", "%d", "%08x-0000-4000-8000-000000000000"};
    for (const char* format : formats) {
        std::array<int, partition_count> counts{};
        char id[64];
        for (int i = 0; i < 100 * static_cast<int>(partition_count); ++i) {
            std::snprintf(id, sizeof id, format, i);
            const auto p = partition_of(id);
            BOOST_REQUIRE(p < partition_count);
            ++counts[p];
        }
        BOOST_TEST_CONTEXT(format) {
            BOOST_TEST(*std::min_element(counts.begin(), counts.end()) >= 75);
            BOOST_TEST(*std::max_element(counts.begin(), counts.end()) <= 125);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
