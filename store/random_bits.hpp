#pragma once
// A fast 64-bit pseudo-random generator for record ids: xoshiro256** (Blackman and Vigna), with
// its whole 256-bit state drawn from std::random_device.
//
// Every new record takes 128 random bits. The shards used std::mt19937_64 seeded from one 32-bit
// random_device value: however long its state, a generator seeded that way has only 2^32 streams,
// so two shards or two runs that drew the same seed made the same ids, one time in 2^32 per pair.
// Ids need uniqueness, not secrecy: a small generator seeded with all 256 bits of its state fits
// (and takes a few instructions a draw).
//
// Thread-safety: none; one per progress-store shard, used under its lock.

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>

namespace progressd::store {

class random_bits {
public:
    using result_type = std::uint64_t;

    random_bits() {
        std::random_device entropy;
        for (auto& word : state_) word = (std::uint64_t{entropy()} << 32) | entropy();
        if (state_ == decltype(state_){}) state_[0] = 1;  // the one state the generator cannot leave
    }
    explicit random_bits(const std::array<std::uint64_t, 4>& state) : state_(state) {}

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

    result_type operator()() {
        auto& s = state_;
        const std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
        const std::uint64_t shifted = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= shifted;
        s[3] = std::rotl(s[3], 45);
        return result;
    }

private:
    std::array<std::uint64_t, 4> state_;
};

}  // namespace progressd::store
