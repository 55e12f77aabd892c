// What a connection sends next: the seam between the workload profiles and the connection loop.
//
// A request is up to three byte ranges written with one gather write (the players profile joins
// a shared request line, a per-user Authorization line and a pre-built body). All the bytes are
// built before the run and outlive it; sources hand out views, never copies.
//
// Thread-safety: one source per connection, used only by that connection's coroutine. The tables
// the views point into are shared read-only between threads.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "bench/options.hpp"

namespace bench {

using clock_type = std::chrono::steady_clock;

struct next_request {
  std::array<std::string_view, 3> parts{};
  std::size_t part_count = 0;
  // When the request should go out; clock_type::time_point{} means "now". A paced request's latency
  // is measured from `due`, not from when it was finally written, so a server that falls behind
  // the schedule shows it in the percentiles (no coordinated omission).
  clock_type::time_point due{};
};

class request_source {
 public:
  virtual ~request_source() = default;
  virtual next_request next() = 0;
  // The answer to the request last returned by next() arrived with this status.
  virtual void answered(unsigned status) = 0;
};

// The fixed header lines every request of a run carries ("Host: ...\r\n" and, when given,
// the service key); `post` adds Content-Type and, with --minimal, Prefer: return=minimal.
std::string common_headers(const options& o, bool post, bool with_api_key);

}  // namespace bench
