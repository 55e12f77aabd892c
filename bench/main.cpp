// progress-bench: a keep-alive HTTP/1.1 load generator for progressd and the reference peers.
//
// Requests are pre-built before the clock starts (request_pool, player_tables); each of
// --threads threads runs its own io_context with its share of --connections coroutines. The main
// thread only sequences the phases: warm-up (answers not counted), measuring, stopping. See
// bench/README.md for what each figure means.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/connection.hpp"
#include "bench/fill.hpp"
#include "bench/inserts.hpp"
#include "bench/options.hpp"
#include "bench/players.hpp"
#include "bench/report.hpp"
#include "bench/request_pool.hpp"

namespace {

using namespace bench;
using tcp = net::ip::tcp;

constexpr auto stop_grace = std::chrono::seconds(5);  // for answers still in flight at the end

void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Sleeps until `deadline`, or until every connection's source has run out (the fill profile).
void sleep_until(clock_type::time_point deadline, const run_control& control, unsigned connections) {
  while (clock_type::now() < deadline && control.finished.load() < connections)
    std::this_thread::sleep_for(std::min<clock_type::duration>(std::chrono::milliseconds(10),
                                                               deadline - clock_type::now()));
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

int run(const options& o) {
  raise_fd_limit();
  net::io_context resolver_context;
  tcp::resolver resolver(resolver_context);
  const tcp::endpoint endpoint = *resolver.resolve(o.host, o.port).begin();

  // Build every request before the clock starts.
  const auto build_start = clock_type::now();
  std::unique_ptr<request_pool> pool;
  std::unique_ptr<player_tables> players;
  if (o.profile == profile::players) {
    players = std::make_unique<player_tables>(o);
    std::fprintf(stderr, "progress-bench: %u player tokens, %u steps x %u contents, %.1f MiB in %.2f s\n",
                 o.users, players->steps(), o.contents, static_cast<double>(players->bytes()) / (1 << 20),
                 seconds_since(build_start));
  } else if (o.profile == profile::fill) {
    std::fprintf(stderr, "progress-bench: fill: %llu records in batches of %u, built as they are sent\n",
                 static_cast<unsigned long long>(o.users) * o.contents, o.batch_size);
  } else if (o.profile == profile::inserts) {
    std::fprintf(stderr, "progress-bench: inserts: pings drawn over %u users x %u contents as they are sent\n",
                 o.users, o.contents);
  } else {
    pool = std::make_unique<request_pool>(o);
    std::fprintf(stderr, "progress-bench: %zu requests pre-built (%.1f MiB) in %.2f s%s\n", pool->size(),
                 static_cast<double>(pool->bytes()) / (1 << 20), seconds_since(build_start),
                 pool->size() < o.pool ? " (capped by memory)" : "");
  }

  run_control control;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<thread_stats> stats(o.threads);
  for (unsigned t = 0; t < o.threads; ++t) contexts.push_back(std::make_unique<net::io_context>(1));

  const auto start = clock_type::now();
  for (unsigned i = 0; i < o.connections; ++i) {
    const unsigned t = i % o.threads;
    std::unique_ptr<request_source> source;
    if (players) source = players->make_source(i, o.connections, start + o.warmup / 2);
    else if (pool) source = pool->make_source(i, o.connections);
    else if (o.profile == profile::inserts) source = make_inserts_source(o, i);
    else source = make_fill_source(o, i, o.connections);
    net::co_spawn(*contexts[t], run_connection(endpoint, std::move(source), stats[t], control),
                  [&stats, t](std::exception_ptr e) {
                    if (!e) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      ++stats[t].errors;
                      if (stats[t].first_failure.empty()) stats[t].first_failure = ex.what();
                    }
                  });
  }
  std::vector<std::thread> threads;
  for (auto& ctx : contexts) threads.emplace_back([&ctx] { ctx->run(); });

  sleep_until(start + o.warmup, control, o.connections);
  control.current = phase::measuring;
  const auto measure_start = clock_type::now();
  sleep_until(measure_start + o.duration, control, o.connections);
  control.current = phase::stopping;
  const double duration_s = seconds_since(measure_start);

  // Answers still in flight get a grace period; a connection still waiting after it is an error.
  const auto deadline = clock_type::now() + stop_grace;
  while (control.active.load() > 0 && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const unsigned stalled = control.active.load();
  for (auto& ctx : contexts) ctx->stop();
  for (auto& th : threads) th.join();

  thread_stats merged;
  for (const auto& s : stats) {
    merged.latency_us.merge(s.latency_us);
    merged.requests += s.requests;
    for (std::size_t i = 0; i < merged.by_class.size(); ++i) merged.by_class[i] += s.by_class[i];
    merged.non2xx += s.non2xx;
    merged.errors += s.errors;
    merged.reconnects += s.reconnects;
    if (merged.first_failure.empty()) merged.first_failure = s.first_failure;
  }
  if (stalled > 0) {
    merged.errors += stalled;
    if (merged.first_failure.empty())
      merged.first_failure = std::to_string(stalled) + " connection(s) got no answer within 5 s of the end";
  }

  const report r = make_report(merged, duration_s);
  print_text(std::cout, o, r);
  std::cout.flush();
  if (!r.first_failure.empty()) std::cerr << "progress-bench: first failure: " << r.first_failure << '\n';
  if (!o.json_file.empty()) write_json(o.json_file, o, r);

  const bool failed = r.errors > 0 || r.non2xx > 0 || r.requests == 0;
  if (failed && !o.allow_errors) {
    std::cerr << "progress-bench: failing (errors=" << r.errors << " non2xx=" << r.non2xx
              << " requests=" << r.requests << "); --allow-errors exits 0 anyway\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed.opts) return parsed.exit_code;
  try {
    return run(*parsed.opts);
  } catch (const std::exception& e) {
    std::cerr << "progress-bench: " << e.what() << '\n';
    return 2;
  }
}
