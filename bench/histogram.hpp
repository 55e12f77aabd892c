// A log-linear latency histogram in microseconds, in the manner of HdrHistogram.
//
// Values below 2*S (S = 2^sub_bits = 128) get one bucket each; above that, every power-of-two
// range [2^k, 2^(k+1)) is split into S equal buckets, so any recorded value is known to within
// 1/S (< 0.8 %). Recording is a few shifts and one increment, with no allocation after
// construction. Percentiles answer the highest value of the bucket they land in (as HdrHistogram's
// "highest equivalent value" does), so they never under-state a latency; the maximum is exact.
//
// Thread-safety: none. Each generator thread records into its own histogram; the main thread
// merges them with merge() after the threads have stopped.
#pragma once

#include <cstdint>
#include <vector>

namespace bench {

class histogram {
 public:
  static constexpr unsigned sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  // Values are clamped to 2^max_bits - 1 microseconds (about 19 hours).
  static constexpr unsigned max_bits = 36;

  histogram();

  void record(std::uint64_t value_us);
  void merge(const histogram& other);

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }
  // The value below which `percent` of the recorded values lie (0 when empty).
  std::uint64_t percentile(double percent) const;

 private:
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t highest_in(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace bench
