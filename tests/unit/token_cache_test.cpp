#include "handlers/auth/token_cache.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace auth = progressd::auth;

namespace {

constexpr std::int64_t now = 1'700'000'000;

// Test hash functions that force collisions. Every token lands on one home slot:
std::uint64_t same_hash(std::string_view) noexcept { return 42; }
// The first character's digit picks the home slot, so a test places entries where it wants them.
std::uint64_t home_from_first_digit(std::string_view token) noexcept {
    return static_cast<std::uint64_t>(token.front() - '0');
}
// Few distinct values: long clusters, to stress removal, growth and wrap-around together.
std::uint64_t four_hashes(std::string_view token) noexcept { return token.back() % 4; }

std::string cached(auth::token_cache& cache, std::string_view token, std::int64_t at = now) {
    return cache.find(token, at).value_or("<miss>");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_cache_suite)

BOOST_AUTO_TEST_CASE(token_cache_is_bounded) {
    auth::token_cache cache(3);
    for (int i = 0; i < 10; ++i) {
        cache.insert("token-" + std::to_string(i), "user-" + std::to_string(i), 0);
        BOOST_TEST(cache.size() <= 3u);
    }
    BOOST_TEST(cache.find("token-9", now).value_or("") == "user-9");  // the newest entry survives eviction
    BOOST_TEST(!cache.find("token-0", now).has_value());
    // Oversized tokens are not cached at all.
    cache.insert(std::string(auth::token_cache::max_token_bytes + 1, 'x'), "big", 0);
    BOOST_TEST(!cache.find(std::string(auth::token_cache::max_token_bytes + 1, 'x'), now).has_value());
}

BOOST_AUTO_TEST_CASE(token_cache_entries_expire) {
    auth::token_cache cache;
    cache.insert("t", "u", now + 1);
    cache.insert("forever", "v", 0);
    BOOST_TEST(cache.find("t", now).value_or("") == "u");
    BOOST_TEST(!cache.find("t", now + 1).has_value());
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(cache.find("forever", now + 1'000'000).value_or("") == "v");
}

BOOST_AUTO_TEST_CASE(token_cache_hits_and_misses) {
    auth::token_cache cache;
    BOOST_TEST(cached(cache, "never-inserted") == "<miss>");  // an empty table
    for (int i = 0; i < 1000; ++i) cache.insert("token-" + std::to_string(i), "user-" + std::to_string(i), 0);
    BOOST_TEST(cache.size() == 1000u);  // past the first slot array and arena: both grew
    for (int i = 0; i < 1000; ++i) BOOST_TEST(cached(cache, "token-" + std::to_string(i)) == "user-" + std::to_string(i));
    BOOST_TEST(cached(cache, "token-1000") == "<miss>");
    BOOST_TEST(cached(cache, "token-") == "<miss>");     // a prefix of cached tokens
    BOOST_TEST(cached(cache, "token-10 ") == "<miss>");  // a cached token plus a byte
    BOOST_TEST(cached(cache, "") == "<miss>");
    cache.insert("", "nobody", 0);  // an empty token is never a credential
    BOOST_TEST(cache.size() == 1000u);
    cache.insert("no-user-id", "", 0);
    BOOST_TEST(cache.find("no-user-id", now).has_value());
    BOOST_TEST(cache.find("no-user-id", now).value_or("x").empty());
}

BOOST_AUTO_TEST_CASE(token_cache_colliding_hashes_never_share_an_entry) {
    // Equal hashes, equal lengths, one differing byte: only the full comparison tells them apart.
    auth::token_cache cache(8, &same_hash);
    cache.insert("token-a", "alice", 0);
    cache.insert("token-b", "bob", 0);
    cache.insert("token-c", "carol", 0);
    BOOST_TEST(cache.size() == 3u);
    BOOST_TEST(cached(cache, "token-a") == "alice");
    BOOST_TEST(cached(cache, "token-b") == "bob");
    BOOST_TEST(cached(cache, "token-c") == "carol");
    BOOST_TEST(cached(cache, "token-d") == "<miss>");  // same hash and length, never verified
    BOOST_TEST(cached(cache, "token-") == "<miss>");   // same hash, a prefix
}

BOOST_AUTO_TEST_CASE(token_cache_probes_wrap_around_the_table) {
    // Capacity 4 → 8 slots; home 7 fills slot 7 then wraps to 0, 1, 2.
    auth::token_cache cache(4, &home_from_first_digit);
    cache.insert("7-first", "u1", 0);
    cache.insert("7-second", "u2", 0);
    cache.insert("0-home-zero", "u3", 0);  // its home is taken by a wrapped entry
    cache.insert("7-third", "u4", 0);
    BOOST_TEST(cached(cache, "7-first") == "u1");
    BOOST_TEST(cached(cache, "7-second") == "u2");
    BOOST_TEST(cached(cache, "0-home-zero") == "u3");
    BOOST_TEST(cached(cache, "7-third") == "u4");
    BOOST_TEST(cached(cache, "7-missing") == "<miss>");  // walks the whole wrapped run to an empty slot
}

BOOST_AUTO_TEST_CASE(token_cache_removal_keeps_later_probes_working) {
    // Removing an entry from the middle of a run must not cut off those after it.
    auth::token_cache cache(4, &home_from_first_digit);
    cache.insert("7-first", "u1", now + 5);  // slot 7
    cache.insert("7-second", "u2", 0);       // slot 0
    cache.insert("0-home-zero", "u3", 0);    // slot 1
    cache.insert("7-third", "u4", now + 5);  // slot 2
    BOOST_TEST(cached(cache, "7-first", now + 5) == "<miss>");  // expired: removed
    BOOST_TEST(cache.size() == 3u);
    BOOST_TEST(cached(cache, "7-second", now + 5) == "u2");
    BOOST_TEST(cached(cache, "0-home-zero", now + 5) == "u3");
    BOOST_TEST(cached(cache, "7-third", now + 4) == "u4");
    BOOST_TEST(cached(cache, "7-third", now + 5) == "<miss>");
    BOOST_TEST(cache.size() == 2u);
    BOOST_TEST(cached(cache, "7-second", now + 5) == "u2");
    BOOST_TEST(cached(cache, "0-home-zero", now + 5) == "u3");
    // A removed token can come back, and takes a free slot again.
    cache.insert("7-first", "u1-again", 0);
    BOOST_TEST(cached(cache, "7-first", now + 100) == "u1-again");
    BOOST_TEST(cache.size() == 3u);
}

BOOST_AUTO_TEST_CASE(token_cache_matches_a_reference_map) {
    // Random inserts, lookups and expiries over a heavily colliding hash, checked against
    // std::map. 40 distinct short tokens never reach the bounds of capacity 64, so no clear happens
    // and the answers must match exactly; passing 32 entries also grows the slot array mid-run.
    auth::token_cache cache(64, &four_hashes);
    std::map<std::string, std::pair<std::string, std::int64_t>> reference;
    std::mt19937 random(7);
    std::int64_t clock = now;
    for (int step = 0; step < 20'000; ++step) {
        const std::string token = "tok" + std::to_string(random() % 40);
        clock += random() % 2;
        if (random() % 3 == 0) {
            const std::int64_t expires_at = random() % 4 == 0 ? 0 : clock + 1 + random() % 50;
            const std::string user = "user-" + std::to_string(step);
            cache.insert(token, user, expires_at);
            reference.try_emplace(token, user, expires_at);  // a cached token keeps its first entry
        } else {
            std::optional<std::string> expected;
            if (const auto found = reference.find(token); found != reference.end()) {
                const auto expires_at = found->second.second;
                if (expires_at != 0 && expires_at <= clock) {
                    reference.erase(found);
                } else {
                    expected = found->second.first;
                }
            }
            BOOST_TEST_REQUIRE((cache.find(token, clock) == expected), "step " << step << ", " << token);
        }
        BOOST_TEST_REQUIRE(cache.size() == reference.size());
    }
}

BOOST_AUTO_TEST_CASE(token_cache_clears_when_full_by_count) {
    auth::token_cache cache(3);
    cache.insert("a", "1", 0);
    cache.insert("b", "2", 0);
    cache.insert("c", "3", 0);
    BOOST_TEST(cache.size() == 3u);
    cache.insert("d", "4", 0);  // a fourth entry: everything goes, then it enters
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(cached(cache, "d") == "4");
    BOOST_TEST(cached(cache, "a") == "<miss>");
    BOOST_TEST(cached(cache, "c") == "<miss>");
}

BOOST_AUTO_TEST_CASE(token_cache_clears_when_full_by_bytes) {
    // Capacity 4 → 1024 bytes of tokens and user ids.
    auth::token_cache cache(4);
    const auto token = [](char c) { return std::string(300, c); };
    cache.insert(token('a'), "1", 0);
    cache.insert(token('b'), "2", 0);
    cache.insert(token('c'), "3", 0);  // 903 bytes: fits
    BOOST_TEST(cache.size() == 3u);
    cache.insert(token('d'), "4", 0);  // 1204 bytes would not: a clear first
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(cached(cache, token('d')) == "4");
    BOOST_TEST(cached(cache, token('a')) == "<miss>");
    // An expired entry's bytes count until the clear: the bound is on memory, not on live entries.
    cache.insert(token('e'), "5", now + 1);
    cache.insert(token('f'), "6", 0);
    BOOST_TEST(cached(cache, token('e'), now + 1) == "<miss>");
    BOOST_TEST(cache.size() == 2u);
    cache.insert(token('g'), "7", 0);  // 3 live entries, but 4 × 301 bytes written: a clear
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(cached(cache, token('g')) == "7");
    // With capacity 1 (256 bytes) a 300-byte token cannot fit even an empty cache.
    auth::token_cache tiny(1);
    tiny.insert(token('h'), "8", 0);
    BOOST_TEST(tiny.size() == 0u);
}

BOOST_AUTO_TEST_CASE(token_cache_skips_oversized_tokens) {
    auth::token_cache cache;
    const std::string longest(auth::token_cache::max_token_bytes, 'x');
    const std::string too_long(auth::token_cache::max_token_bytes + 1, 'y');
    cache.insert(longest, "fits", 0);
    cache.insert(too_long, "too-big", 0);
    BOOST_TEST(cache.size() == 1u);
    BOOST_TEST(cached(cache, longest) == "fits");
    BOOST_TEST(cached(cache, too_long) == "<miss>");
    // A user id longer than any cacheable token cannot come from one: not cached either.
    cache.insert("short-token", std::string(auth::token_cache::max_token_bytes + 1, 'u'), 0);
    BOOST_TEST(cached(cache, "short-token") == "<miss>");
}

BOOST_AUTO_TEST_CASE(token_cache_reinsert_keeps_one_entry) {
    auth::token_cache cache(2);
    cache.insert("a", "alice", 0);
    cache.insert("b", "bob", 0);
    // Already cached: no second entry, and no clear even though the cache is full.
    cache.insert("a", "alice", 0);
    BOOST_TEST(cache.size() == 2u);
    BOOST_TEST(cached(cache, "a") == "alice");
    BOOST_TEST(cached(cache, "b") == "bob");
}

BOOST_AUTO_TEST_CASE(token_cache_default_hash_spreads_similar_tokens) {
    // Tokens that share a long header and differ in a few characters, like one issuer's JWTs, must
    // still spread over the slots: a clumping hash would make every probe a long walk.
    constexpr std::size_t count = 1 << 16;
    constexpr std::size_t slots = 2 * count;
    std::vector<std::uint32_t> per_slot(slots);
    std::unordered_set<std::uint64_t> distinct;
    const std::string prefix = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLT";
    for (std::size_t i = 0; i < count; ++i) {
        const auto hash = auth::token_cache::default_hash(prefix + std::to_string(i) + ".sig");
        distinct.insert(hash);
        ++per_slot[hash & (slots - 1)];
    }
    BOOST_TEST(distinct.size() == count);
    // At load 1/2 a uniform hash puts at most about 8 tokens in one slot.
    BOOST_TEST(*std::max_element(per_slot.begin(), per_slot.end()) <= 12u);
}

BOOST_AUTO_TEST_SUITE_END()
