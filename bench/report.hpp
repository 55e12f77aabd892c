// The run's figures: merged from every thread's stats, printed as text and written as JSON.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "bench/connection.hpp"
#include "bench/options.hpp"

namespace bench {

struct report {
  std::uint64_t requests = 0;
  double duration_s = 0;
  double rps = 0;
  std::uint64_t p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::array<std::uint64_t, 6> by_class{};
  std::uint64_t non2xx = 0;
  std::uint64_t errors = 0;
  std::uint64_t reconnects = 0;
  std::string first_failure;
};

report make_report(const thread_stats& merged, double duration_s);

// Two lines: "# run ..." describing the run, then "requests=... errors=..." with the figures.
void print_text(std::ostream& out, const options& o, const report& r);
// The same figures plus the run's settings as one JSON object. Throws std::runtime_error on I/O failure.
void write_json(const std::string& path, const options& o, const report& r);

}  // namespace bench
