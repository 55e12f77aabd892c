// progress-scale: memory per record, flush time and recovery speed of the store at N records.
//
// Unlike progress-bench this tool links the store itself (progressd_store): it measures the data
// structures, not HTTP. Three phases, each printed as one line (bench/README.md, "progress-scale"):
//
//   load     N records through progress_store::apply_ping (user-%06d x content-%04d, interleaved
//            so every user's map grows a record at a time, as under real traffic); RSS before and
//            after, per record. The records are dirty then, as in a server between two flushes.
//   flush    all N through a real persister into LMDB (one request_flush, waited on with
//            when_durable); wall time, the persister's own commit time, peak RSS while flushing,
//            RSS after (now clean), LMDB size.
//   recover  a fresh process (this binary again, --recover-only) opens the data dir, builds an
//            empty store and runs store::recover(): records per second and RSS per record. A
//            fresh process because memory the first store freed would be reused without showing
//            up in RSS, and the figure must be what a restarted server holds.
//
// RSS is VmRSS from /proc/self/status; `anon` is RssAnon (the heap: what the store owns), the rest
// is mostly LMDB's file mapping (RssFile), which the kernel may drop under pressure. The heap
// figure (mallinfo2) is what the allocator handed out, before its own overhead and fragmentation.
#include <malloc.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/large_allocations.hpp"
#include "common/log.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"
#include "store/progress_store.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace st = progressd::store;
using steady = std::chrono::steady_clock;

struct scale_options {
  std::size_t records = 1'000'000;
  std::size_t users = 0;  // 0: records / 100
  std::size_t sessions = 0;  // pings a record gets, each from its own session with a seq; 0: one ping, no session
  std::size_t shards = 64;  // the server's default
  std::size_t map_size_mb = 1024;  // the server's default initial map; it grows when full
  std::string data_dir;  // empty: a temp dir, removed at the end
  std::string json_file;
  bool recover_only = false;
};

struct memory {
  std::size_t rss = 0;   // VmRSS
  std::size_t anon = 0;  // RssAnon
  std::size_t peak = 0;  // VmHWM
  std::size_t heap = 0;  // bytes malloc handed out (mallinfo2: arena + mmap'd chunks in use)
};

memory read_memory() {
  memory m;
  std::ifstream status("/proc/self/status");
  std::string line;
  const auto field = [&line](const char* name, std::size_t& out) {
    if (line.rfind(name, 0) == 0) out = std::stoull(line.substr(std::strlen(name))) * 1024;  // kB
  };
  while (std::getline(status, line)) {
    field("VmRSS:", m.rss);
    field("RssAnon:", m.anon);
    field("VmHWM:", m.peak);
  }
  const struct mallinfo2 info = mallinfo2();
  m.heap = info.uordblks + info.hblkhd;
  return m;
}

// Makes VmHWM start again from the current RSS, so a phase's peak is its own.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5\n"; }

// CPU seconds of this process, all threads (the persister's included), or of its waited-for children.
double cpu_seconds(int who = RUSAGE_SELF) {
  rusage usage{};
  getrusage(who, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds the whole machine spent busy (all CPUs, from /proc/stat), to tell how much of it went
// to other work during a run: on a shared box the wall-clock figures only mean something when that
// is small, which is why each phase also reports its own CPU seconds.
double machine_busy_seconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

double per_record(std::size_t after, std::size_t before, std::size_t records) {
  return records == 0 ? 0 : (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(records);
}

// The store's own count of its bytes (progress_store::memory), split by what grows with users and
// what grows with records; `accounted_B` beside anon_B shows what the allocator adds.
json::object store_breakdown(const st::progress_store& store) {
  const st::store_memory m = store.memory();
  const auto per = [](std::size_t bytes, std::size_t count) {
    return count == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(count);
  };
  return {{"users", m.users},
          {"bytes_per_user", per(m.user_bytes, m.users)},
          {"bytes_per_record", per(m.record_bytes, m.records)},
          {"slack_bytes_per_record", per(m.record_slack_bytes, m.records)},
          {"string_bytes_per_record", per(m.string_bytes, m.records)},
          {"accounted_bytes_per_record", per(m.user_bytes + m.record_bytes + m.string_bytes, m.records)}};
}

// Phase 3, in its own process: recover the data dir into a fresh store.
json::object recover_phase(const scale_options& o, const progressd::logger& log) {
  auto environment = st::open_data_dir(o.data_dir, o.map_size_mb << 20);
  st::progress_store store(o.shards, st::merge_rules{});
  const memory before = read_memory();
  const double cpu_before = cpu_seconds();
  const auto started = steady::now();  // recovery_result's own duration is in whole milliseconds
  const auto result = st::recover(environment, store, log);
  const double seconds = seconds_since(started);
  const double cpu = cpu_seconds() - cpu_before;
  const memory after = read_memory();
  const std::size_t n = result.records;
  return {{"records", n},
          {"corrupt", result.corrupt},
          {"seconds", seconds},
          {"records_per_s", seconds > 0 ? static_cast<double>(n) / seconds : 0.0},
          {"cpu_seconds", cpu},
          {"records_per_cpu_s", cpu > 0 ? static_cast<double>(n) / cpu : 0.0},
          {"rss_per_record", per_record(after.rss, before.rss, n)},
          {"anon_per_record", per_record(after.anon, before.anon, n)},
          {"heap_per_record", per_record(after.heap, before.heap, n)},
          {"rss_bytes", after.rss},
          {"store", store_breakdown(store)}};
}

// Runs this binary again with --recover-only and returns what it wrote to its --json file.
json::object recover_in_child(const scale_options& o, const std::string& self) {
  const fs::path report = fs::path(o.data_dir) / "recover.json";
  const std::string shards = std::to_string(o.shards);
  const std::string map_mb = std::to_string(o.map_size_mb);
  std::vector<std::string> args{self, "--recover-only", "--data-dir", o.data_dir, "--json", report.string(),
                                "--shards", shards, "--map-size-mb", map_mb};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0) {
    throw std::runtime_error("posix_spawn " + self + ": " + std::strerror(rc));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the recovery process failed");
  }
  std::ifstream in(report);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove(report);
  return json::parse(text.str()).as_object();
}

// Phases 1 and 2, then 3 in a child.
json::object run(const scale_options& o, const std::string& self, const progressd::logger& log) {
  const std::size_t users = o.users;
  const std::size_t contents = (o.records + users - 1) / users;
  json::object out{{"records", o.records}, {"users", users}, {"contents_per_user", contents}, {"sessions", o.sessions},
                   {"shards", o.shards}, {"nproc", std::thread::hardware_concurrency()}};

  auto environment = st::open_data_dir(o.data_dir, o.map_size_mb << 20);
  auto store = std::make_unique<st::progress_store>(o.shards, st::merge_rules{});

  // Phase 1: load. A ping as progress-bench sends it: position, duration 600, 5 s watched, ts.
  st::ping observation;
  observation.duration_seconds = 600;
  observation.time_spent_delta_seconds = 5;
  char user[32];
  char content[32];
  std::uint64_t last_generation = 0;
  const memory empty = read_memory();
  const auto load_start = steady::now();
  const double load_cpu_start = cpu_seconds();
  std::size_t loaded = 0;
  for (std::size_t c = 0; c < contents && loaded < o.records; ++c) {
    std::snprintf(content, sizeof content, "content-%04zu", c);
    observation.content_id = content;
    for (std::size_t u = 0; u < users && loaded < o.records; ++u, ++loaded) {
      std::snprintf(user, sizeof user, "user-%06zu", u);
      observation.position_seconds = static_cast<double>((u * 7 + c) % 600) + 0.5;
      observation.ts = 1'700'000'000'000 + static_cast<std::int64_t>(loaded);
      if (o.sessions == 0) {
        last_generation = store->apply_ping(user, observation, 1'700'000'000'000).generation;
        continue;
      }
      // --sessions K: K players on one record, each with its own replay window (docs/data-model.md, rule 3).
      for (std::size_t s = 0; s < o.sessions; ++s) {
        observation.session_id = "session-" + std::to_string(s);
        observation.seq = 1;
        last_generation = store->apply_ping(user, observation, 1'700'000'000'000).generation;
      }
    }
  }
  const double load_s = seconds_since(load_start);
  const double load_cpu = cpu_seconds() - load_cpu_start;
  const memory loaded_memory = read_memory();
  const auto stats = store->stats();
  out["load"] = {{"seconds", load_s},
                 {"pings_per_s", static_cast<double>(loaded) / load_s},
                 {"cpu_seconds", load_cpu},
                 {"records", stats.records},
                 {"dirty", stats.dirty},
                 {"rss_per_record", per_record(loaded_memory.rss, empty.rss, loaded)},
                 {"anon_per_record", per_record(loaded_memory.anon, empty.anon, loaded)},
                 {"heap_per_record", per_record(loaded_memory.heap, empty.heap, loaded)},
                 {"rss_bytes", loaded_memory.rss},
                 {"store", store_breakdown(*store)}};

  // Phase 2: flush everything through the real persister. The interval is long, so the only
  // flush is the one requested here.
  {
    st::persister persister(*store, environment, {st::durability_mode::snapshot, std::chrono::hours(1), 0}, log);
    persister.start();
    reset_peak();
    std::promise<bool> durable;
    const auto flush_start = steady::now();
    const double flush_cpu_start = cpu_seconds();
    persister.when_durable(last_generation, [&durable](bool committed) { durable.set_value(committed); });
    persister.request_flush();
    const bool committed = durable.get_future().get();
    const double flush_s = seconds_since(flush_start);
    const double flush_cpu = cpu_seconds() - flush_cpu_start;
    const memory flushed = read_memory();
    const auto persisted = persister.stats();
    persister.stop();
    if (!committed) throw std::runtime_error("the flush did not commit");
    const std::size_t file_bytes = fs::file_size(fs::path(o.data_dir) / "data.mdb");
    out["flush"] = {{"seconds", flush_s},
                    {"records_per_s", static_cast<double>(persisted.records_written) / flush_s},
                    {"commit_seconds", static_cast<double>(persisted.last_flush_duration_us) / 1e6},
                    {"cpu_seconds", flush_cpu},
                    {"records_written", persisted.records_written},
                    {"peak_rss_extra_per_record", per_record(flushed.peak, loaded_memory.rss, loaded)},
                    {"rss_per_record_after", per_record(flushed.rss, empty.rss, loaded)},
                    {"anon_per_record_after", per_record(flushed.anon, empty.anon, loaded)},
                    {"heap_per_record_after", per_record(flushed.heap, empty.heap, loaded)},
                    {"lmdb_used_bytes", persisted.used_bytes},
                    {"lmdb_file_bytes", file_bytes},
                    {"lmdb_map_bytes", persisted.map_size}};
  }
  // Free this process's store before the child runs: the box has little memory to spare at 10 M.
  store.reset();
  { st::lmdb_environment closing = std::move(environment); }

  out["recover"] = recover_in_child(o, self);
  return out;
}

double number(const json::value& v) { return v.to_number<double>(); }

void print(const json::object& r) {
  const auto& load = r.at("load").as_object();
  const auto& flush = r.at("flush").as_object();
  const auto& recover = r.at("recover").as_object();
  std::printf("# progress-scale records=%s users=%s shards=%s nproc=%s other_cpu_pct=%.0f (100 = one core "
              "busy with other work)\n",
              json::serialize(r.at("records")).c_str(), json::serialize(r.at("users")).c_str(),
              json::serialize(r.at("shards")).c_str(), json::serialize(r.at("nproc")).c_str(),
              number(r.at("other_cpu_pct")));
  std::printf("load     s=%.2f cpu_s=%.2f pings_per_s=%.0f rss_B_per_record=%.1f anon_B=%.1f heap_B=%.1f (dirty)\n",
              number(load.at("seconds")), number(load.at("cpu_seconds")), number(load.at("pings_per_s")),
              number(load.at("rss_per_record")),
              number(load.at("anon_per_record")), number(load.at("heap_per_record")));
  std::printf("flush    s=%.2f cpu_s=%.2f records_per_s=%.0f commit_s=%.2f peak_extra_B_per_record=%.1f "
              "rss_B_per_record_after=%.1f anon_B=%.1f heap_B=%.1f lmdb_used_MiB=%.1f lmdb_file_MiB=%.1f\n",
              number(flush.at("seconds")), number(flush.at("cpu_seconds")), number(flush.at("records_per_s")),
              number(flush.at("commit_seconds")),
              number(flush.at("peak_rss_extra_per_record")), number(flush.at("rss_per_record_after")),
              number(flush.at("anon_per_record_after")), number(flush.at("heap_per_record_after")),
              number(flush.at("lmdb_used_bytes")) / (1 << 20), number(flush.at("lmdb_file_bytes")) / (1 << 20));
  std::printf("recover  s=%.2f cpu_s=%.2f records_per_s=%.0f per_cpu_s=%.0f records=%s corrupt=%s "
              "rss_B_per_record=%.1f anon_B=%.1f heap_B=%.1f\n",
              number(recover.at("seconds")), number(recover.at("cpu_seconds")), number(recover.at("records_per_s")),
              number(recover.at("records_per_cpu_s")),
              json::serialize(recover.at("records")).c_str(), json::serialize(recover.at("corrupt")).c_str(),
              number(recover.at("rss_per_record")), number(recover.at("anon_per_record")),
              number(recover.at("heap_per_record")));
  for (const auto& [phase, figures] : {std::pair{"load", &load}, std::pair{"recover", &recover}}) {
    const auto& store = figures->at("store").as_object();
    std::printf("  %-7s store: B_per_user=%.1f B_per_record=%.1f (slack %.1f) strings_B_per_record=%.1f "
                "accounted_B_per_record=%.1f\n",
                phase, number(store.at("bytes_per_user")), number(store.at("bytes_per_record")),
                number(store.at("slack_bytes_per_record")), number(store.at("string_bytes_per_record")),
                number(store.at("accounted_bytes_per_record")));
  }
  const double loading_b = number(load.at("anon_per_record"));
  const double recovered_b = number(recover.at("anon_per_record"));
  const double rate = number(recover.at("records_per_s"));
  const auto verdict = [](bool met) { return met ? "met" : "NOT met"; };
  std::printf("targets  anon<=180_B_per_record(load): %s (%.1f)  anon<=120_B_per_record(recovered): %s (%.1f)  "
              "recovery>=1M/s: %s (%.0f)\n",
              verdict(loading_b <= 180), loading_b, verdict(recovered_b <= 120), recovered_b, verdict(rate >= 1e6), rate);
}

void write_json(const std::string& file, const json::object& r) {
  std::ofstream out(file);
  out << json::serialize(r) << '\n';
  if (!out) throw std::runtime_error("cannot write " + file);
}

}  // namespace

int main(int argc, char** argv) {
  progressd::return_large_allocations_to_the_system();  // as the server does
  CLI::App app{"progress-scale: RSS per record, flush time and recovery speed of the store at N records"};
  scale_options o;
  app.add_option("--records", o.records, "records to load")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32))
      ->capture_default_str();
  app.add_option("--users", o.users, "distinct users (default: records / 100, i.e. 100 contents each)");
  app.add_option("--sessions", o.sessions, "pings a record gets, each from another session (default 0: one ping, no session)");
  app.add_option("--shards", o.shards, "store shards (a power of two)")->capture_default_str();
  app.add_option("--map-size-mb", o.map_size_mb, "initial LMDB map size (grows when full)")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "LMDB data dir (default: a temp dir, removed at the end)");
  app.add_option("--json", o.json_file, "also write the figures as JSON to FILE");
  app.add_flag("--recover-only", o.recover_only, "only recover --data-dir into a fresh store (the third phase)");
  CLI11_PARSE(app, argc, argv);
  if (o.users == 0) o.users = std::max<std::size_t>(1, o.records / 100);

  const progressd::logger log(progressd::log_level::warn);
  try {
    if (o.recover_only) {
      if (o.data_dir.empty()) throw std::runtime_error("--recover-only needs --data-dir");
      const json::object r = recover_phase(o, log);
      if (o.json_file.empty()) std::cout << json::serialize(r) << '\n';
      else write_json(o.json_file, r);
      return 0;
    }
    const bool temporary = o.data_dir.empty();
    if (temporary) {
      std::string pattern = (fs::temp_directory_path() / "progress-scale-XXXXXX").string();
      if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
      o.data_dir = pattern;
    } else if (fs::exists(fs::path(o.data_dir) / "data.mdb")) {
      throw std::runtime_error(o.data_dir + " already holds an LMDB environment; give an empty or new dir");
    } else {
      fs::create_directories(o.data_dir);
    }
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    json::object r;
    const auto started = steady::now();
    const double busy_before = machine_busy_seconds();
    try {
      r = run(o, self, log);
      const double others = machine_busy_seconds() - busy_before - cpu_seconds() - cpu_seconds(RUSAGE_CHILDREN);
      r["other_cpu_pct"] = std::max(0.0, 100 * others / seconds_since(started));
    } catch (...) {
      if (temporary) fs::remove_all(o.data_dir);
      throw;
    }
    if (temporary) fs::remove_all(o.data_dir);
    print(r);
    if (!o.json_file.empty()) write_json(o.json_file, r);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "progress-scale: " << e.what() << '\n';
    return 2;
  }
}
