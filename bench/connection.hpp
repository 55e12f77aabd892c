// One keep-alive connection of the generator: a coroutine that owns its socket and buffer, sends
// what its request_source gives it, reads each answer with response_parser, and records the outcome.
//
// Thread-safety: a connection runs on one io_context thread and records into that thread's
// thread_stats; run_control is the only state shared across threads (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/histogram.hpp"
#include "bench/request_source.hpp"

namespace bench {

namespace net = boost::asio;

enum class phase : int { warmup, measuring, stopping };

// Set by the main thread, read by every connection after each answer.
struct run_control {
  std::atomic<phase> current{phase::warmup};
  std::atomic<unsigned> active{0};  // connections whose coroutine has not returned yet
  std::atomic<unsigned> finished{0};  // connections whose source ran out (the fill profile)
};

// What one generator thread saw. Counts marked "measured" cover only answers that arrived while
// the phase was `measuring`; `non2xx` and `errors` cover the whole run, warm-up included, so the
// exit code catches every failure.
struct thread_stats {
  histogram latency_us;                       // measured
  std::uint64_t requests = 0;                 // measured answers
  std::array<std::uint64_t, 6> by_class{};    // measured answers by status / 100 (index 0: other)
  std::uint64_t non2xx = 0;
  std::uint64_t errors = 0;                   // connect/read/write failures, malformed answers
  std::uint64_t reconnects = 0;               // closes asked for by the server (Connection: close)
  std::string first_failure;                  // the first error or non-2xx answer, for the report
};

net::awaitable<void> run_connection(net::ip::tcp::endpoint endpoint, std::unique_ptr<request_source> source,
                                    thread_stats& stats, run_control& control);

}  // namespace bench
