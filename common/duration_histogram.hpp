#pragma once
// A histogram of durations with fixed bounds from 100 µs to 10 s: what a flush takes, from an
// idle LMDB commit to a PostgreSQL batch over a slow link. Exported by /metrics as a Prometheus
// histogram (progressd_flush_duration_seconds).
//
// Thread-safety: none; its owner guards it (the persisters keep it under the small mutex of
// their stats, taken once per flush, never on an I/O thread) and hands out copies.

#include <array>
#include <chrono>
#include <cstdint>

namespace progressd {

struct duration_histogram {
    // Upper bounds in microseconds (the `le` labels, in seconds: 0.0001 ... 10).
    static constexpr std::array<std::uint64_t, 16> bounds_us{100,    250,    500,     1000,    2500,    5000,
                                                             10000,  25000,  50000,   100000,  250000,  500000,
                                                             1000000, 2500000, 5000000, 10000000};

    std::array<std::uint64_t, bounds_us.size() + 1> counts{};  // per bucket, not cumulative; last: +Inf
    std::uint64_t sum_us = 0;

    void observe(std::chrono::microseconds took) {
        const auto us = static_cast<std::uint64_t>(took.count() < 0 ? 0 : took.count());
        std::size_t index = 0;
        while (index < bounds_us.size() && us > bounds_us[index]) ++index;
        ++counts[index];
        sum_us += us;
    }
    std::uint64_t count() const {
        std::uint64_t total = 0;
        for (const auto n : counts) total += n;
        return total;
    }
};

}  // namespace progressd
