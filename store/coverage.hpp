#pragma once
// Watched coverage (docs/data-model.md, rule 6): which parts of a content were played, 1 bit per
// 1 % of its duration (100 bits in two words), filled from consecutive positions within a session
// and from explicit segments. A jump forward larger than the time that passed is a seek, not
// watching. Pure functions: the merge calls them under the shard lock, the tests directly.

#include <array>
#include <cstdint>
#include <optional>

namespace progressd::store {

inline constexpr std::size_t coverage_bits = 100;
using coverage_map = std::array<std::uint64_t, 2>;  // bit i: [i %, (i + 1) %) of the duration

// Marks every 1 % slot that [from, to] (seconds) overlaps. Does nothing without a positive
// duration or when to <= from; clamps to the duration.
void mark_watched(coverage_map& coverage, double from, double to, double duration);

// Percent of the slots marked: 0–100, whole numbers.
double watched_percent(const coverage_map& coverage);

// Whether moving from `previous` to `next` seconds during `elapsed` seconds was playing: forward,
// and no further than playback at up to 2× speed plus one second of slack (pings are not exact).
bool played_through(double previous, double next, double elapsed);

// Whether the map has bits beyond the 100 slots (a damaged value).
inline bool valid_coverage(const coverage_map& coverage) { return (coverage[1] >> (coverage_bits - 64)) == 0; }

}  // namespace progressd::store
