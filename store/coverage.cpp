#include "store/coverage.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace progressd::store {

namespace {
constexpr double max_playback_rate = 2.0;
constexpr double slack_seconds = 1.0;
}  // namespace

void mark_watched(coverage_map& coverage, double from, double to, double duration) {
    if (!(duration > 0) || !std::isfinite(duration) || !(to > from)) return;  // (NaNs fail the comparisons)
    from = std::clamp(from, 0.0, duration);
    to = std::clamp(to, 0.0, duration);
    if (!(to > from)) return;
    // Positions as fractions of the duration (0…1 after the clamps), then slots. Not position ×
    // (slots / duration): for a tiny duration that factor overflows to infinity, and 0 × ∞ is NaN,
    // whose conversion to an integer is undefined.
    const double slots = static_cast<double>(coverage_bits);
    const auto first = static_cast<std::size_t>(std::floor(from / duration * slots));
    // A slot is touched when the interval reaches past its start; an interval ending exactly on
    // a slot boundary does not touch the next slot.
    const auto end = std::min(coverage_bits, static_cast<std::size_t>(std::ceil(to / duration * slots)));
    for (std::size_t bit = std::min(first, coverage_bits - 1); bit < end; ++bit) {
        coverage[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
}

double watched_percent(const coverage_map& coverage) {
    return static_cast<double>(std::popcount(coverage[0]) + std::popcount(coverage[1]));
}

bool played_through(double previous, double next, double elapsed) {
    const double advance = next - previous;
    return advance > 0 && elapsed >= 0 && advance <= elapsed * max_playback_rate + slack_seconds;
}

}  // namespace progressd::store
