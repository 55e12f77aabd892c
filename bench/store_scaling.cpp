// progress-store-scaling: pings a second through the sharded store alone, by thread count
// (throughput must grow with cores, so no global lock).
//
// The server's own curve needs a machine with cores for N I/O threads and as many again for the
// load generator (bench/README.md, "bench/scaling"). What decides whether progressd can scale at all
// is whether N threads applying pings to the store contend, and that this tool measures on any
// machine, without the network in between: the store is filled with --users x --contents records
// first, then each thread count in --threads applies pre-built pings to random existing records
// (a player's steady state) for --seconds, every thread at once. One line per thread count:
//
//   threads=2 pings=… seconds=… per_s=… per_thread_per_s=… scaling=1.94
//
// `scaling` is per_s over the one-thread figure (when 1 is in the list). Thread counts above
// nproc are measured but marked: they share cores, so they cannot scale.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/progress_store.hpp"

namespace {

namespace st = progressd::store;
using steady = std::chrono::steady_clock;

struct scaling_options {
  std::vector<unsigned> threads;
  double seconds = 2;
  std::size_t users = 10'000;
  std::size_t contents = 100;
  std::size_t shards = 64;
};

std::string user_id(std::size_t user) {
  char text[32];
  std::snprintf(text, sizeof text, "user-%06zu", user);
  return text;
}

std::string content_id(std::size_t content) {
  char text[32];
  std::snprintf(text, sizeof text, "content-%04zu", content);
  return text;
}

// One ping of progress-bench's `pings` profile, ready to apply.
struct prepared_ping {
  std::string user;
  st::ping observation;
};

std::vector<prepared_ping> prepare(const scaling_options& o, std::uint64_t seed, std::size_t count) {
  std::mt19937_64 random(seed);
  std::vector<prepared_ping> pings(count);
  for (auto& p : pings) {
    p.user = user_id(random() % o.users);
    p.observation.content_id = content_id(random() % o.contents);
    p.observation.position_seconds = static_cast<double>(random() % 600) + 0.5;
    p.observation.duration_seconds = 600;
    p.observation.time_spent_delta_seconds = 5;
  }
  return pings;
}

void fill(st::progress_store& store, const scaling_options& o) {
  st::ping p;
  p.duration_seconds = 600;
  p.position_seconds = 1;
  for (std::size_t content = 0; content < o.contents; ++content) {
    p.content_id = content_id(content);
    for (std::size_t user = 0; user < o.users; ++user) store.apply_ping(user_id(user), p, 1);
  }
}

struct measurement {
  std::uint64_t pings = 0;
  double seconds = 0;
};

// All threads start together and stop at the same deadline; each counts what it applied.
measurement run(st::progress_store& store, const std::vector<std::vector<prepared_ping>>& pools, unsigned threads,
                double seconds) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::uint64_t> applied(threads, 0);
  std::vector<std::thread> workers;
  steady::time_point deadline;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto& pool = pools[t];
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      std::uint64_t done = 0;
      std::int64_t now_ms = 2;
      for (;;) {
        for (std::size_t i = 0; i < 1024; ++i) {
          const prepared_ping& p = pool[(done + i) % pool.size()];
          store.apply_ping(p.user, p.observation, now_ms);
        }
        done += 1024;
        ++now_ms;
        if (steady::now() >= deadline) break;
      }
      applied[t] = done;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto started = steady::now();
  deadline = started + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  go.store(true, std::memory_order_release);
  for (auto& w : workers) w.join();
  measurement m;
  m.seconds = std::chrono::duration<double>(steady::now() - started).count();
  for (const auto n : applied) m.pings += n;
  return m;
}

std::vector<unsigned> default_threads() {
  std::vector<unsigned> list;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned n = 1; n < cores; n *= 2) list.push_back(n);
  list.push_back(cores);
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"progress-store-scaling: pings a second through the store alone, by thread count"};
  scaling_options o;
  app.add_option("--threads", o.threads, "thread counts to measure (default: 1, 2, 4, … up to nproc)")
      ->delimiter(',');
  app.add_option("--seconds", o.seconds, "measured seconds per thread count")->check(CLI::Range(0.01, 600.0))
      ->capture_default_str();
  app.add_option("--users", o.users, "distinct users")->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--contents", o.contents, "contents per user")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))->capture_default_str();
  app.add_option("--shards", o.shards, "store shards (a power of two)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.threads.empty()) o.threads = default_threads();
  if (std::any_of(o.threads.begin(), o.threads.end(), [](unsigned n) { return n == 0 || n > 1024; })) {
    std::cerr << "progress-store-scaling: --threads takes counts from 1 to 1024\n";
    return 2;
  }

  st::progress_store store(o.shards, {});
  fill(store, o);
  const unsigned most = *std::max_element(o.threads.begin(), o.threads.end());
  std::vector<std::vector<prepared_ping>> pools;
  for (unsigned t = 0; t < most; ++t) pools.push_back(prepare(o, 0x5eed + t, 65'536));

  const unsigned cores = std::thread::hardware_concurrency();
  std::cout << "# progress-store-scaling users=" << o.users << " contents=" << o.contents << " shards=" << o.shards
            << " nproc=" << cores << " seconds=" << o.seconds << '\n';
  double one_thread_rate = 0;
  for (const unsigned threads : o.threads) {
    const measurement m = run(store, pools, threads, o.seconds);
    const double rate = static_cast<double>(m.pings) / m.seconds;
    if (threads == 1) one_thread_rate = rate;
    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(0);
    line << "threads=" << threads << " pings=" << m.pings << " per_s=" << rate << " per_thread_per_s=" << rate / threads;
    line.precision(2);
    line << " seconds=" << m.seconds;
    if (one_thread_rate > 0) line << " scaling=" << rate / one_thread_rate;
    if (threads > cores) line << " (more threads than cores)";
    std::cout << line.str() << std::endl;
  }
  return 0;
}
