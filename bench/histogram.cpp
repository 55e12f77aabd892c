#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

namespace {
constexpr std::uint64_t max_value = (std::uint64_t{1} << histogram::max_bits) - 1;
}

histogram::histogram() : counts_(index_of(max_value) + 1, 0) {}

// Values < 2S map to themselves. Otherwise, with `shift` = how far the value's top bit lies above
// bit sub_bits, the index is (shift + 1) * S plus the S-bucket offset within that power of two.
std::size_t histogram::index_of(std::uint64_t value) {
  if (value < 2 * sub_count) return static_cast<std::size_t>(value);
  const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - 1 - sub_bits;
  return static_cast<std::size_t>((shift + 1) * sub_count + ((value >> shift) - sub_count));
}

std::uint64_t histogram::highest_in(std::size_t index) {
  if (index < 2 * sub_count) return index;
  const std::uint64_t shift = index / sub_count - 1;
  const std::uint64_t mantissa = sub_count + index % sub_count;
  return ((mantissa + 1) << shift) - 1;
}

void histogram::record(std::uint64_t value_us) {
  value_us = std::min(value_us, max_value);
  ++counts_[index_of(value_us)];
  ++total_;
  max_ = std::max(max_, value_us);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t histogram::percentile(double percent) const {
  if (total_ == 0) return 0;
  const double clamped = std::clamp(percent, 0.0, 100.0);
  // The rank of the value asked for, 1-based: at least the first value, at most the last.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(total_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_in(i), max_);
  }
  return max_;
}

}  // namespace bench
