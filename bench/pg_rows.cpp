// progress-pg-rows: progress records written to PostgreSQL per second, by rows per transaction.
//
// Links the PostgreSQL layer (progressd_postgres) and writes through the write-behind's own call,
// store::upsert_records, in transactions of 1, 10, 100, 1000, 10000 rows (--sizes), for --seconds
// each, on one connection: what one persister thread can write, and how much batching buys. The
// key space (--records keys: user-%06d x content-%04d, --contents per user) is written once before
// any size is timed, so every timed row replaces an existing one, as a write-behind flush of a
// record that changed does. Rows carry what a ping leaves in a record (status, position,
// duration, time spent, views, times, a few watched-coverage slots in `extra`).
//
// Besides rows/s it prints the WAL bytes a row cost (pg_current_wal_lsn before and after: what a
// streaming replica receives, other sessions' writes included when the server is shared), and the CPU seconds of this process and of the PostgreSQL backend serving
// the connection (from /proc, when PostgreSQL runs on this machine and /proc/PID is readable;
// the WAL writer, the checkpointer and the fsyncs are not in it): rows per CPU-second of each.
// The database's settings are printed as found (fsync, synchronous_commit): the tool changes none.
//
// Usage: progress-pg-rows --postgres-url URL [--sizes 1,10,100,1000,10000] [--seconds 3]
//                         [--records 100000] [--contents 10] [--json FILE]
// The database is migrated to the current schema first; use a database of its own (the rows it
// writes stay).
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/coverage.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/transaction.hpp"

namespace {

using namespace progressd::store;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

struct rows_options {
  std::string url;
  std::vector<std::size_t> sizes{1, 10, 100, 1000, 10000};
  double seconds = 3;
  std::size_t records = 100'000;
  std::size_t contents = 10;
  std::string json_file;
};

struct owned_row {
  std::string user_id;
  record_key key;
  progress_record record;
};

// A record as a few pings leave it: in progress, a position, some time spent, a few 1 % slots.
owned_row make_row(std::size_t i, std::size_t contents) {
  char user[32];
  char content[32];
  std::snprintf(user, sizeof user, "user-%06zu", i / contents);
  std::snprintf(content, sizeof content, "content-%04zu", i % contents);
  owned_row r{user, {"", content}, {}};
  auto& rec = r.record;
  for (std::size_t b = 0; b < rec.record_id.size(); ++b) rec.record_id[b] = static_cast<std::uint8_t>((i >> (b % 8)) + b);
  rec.status = progress_status::in_progress;
  rec.duration_seconds = 600;
  rec.position_seconds = static_cast<double>(i % 590) + 0.5;
  rec.progress_percent = rec.position_seconds / 6;
  rec.time_spent_seconds = 25;
  rec.views = 1;
  rec.position_ts = 1'700'000'000'123;
  rec.first_accessed_at = rec.last_accessed_at = rec.updated_at = 1'700'000'000'123;
  mark_watched(rec.watched, rec.position_seconds - 20, rec.position_seconds, rec.duration_seconds);
  return r;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// utime + stime of a process from /proc/PID/stat; negative when unreadable (PostgreSQL elsewhere).
double process_cpu_seconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return -1;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0;
  double stime = 0;
  for (int n = 3; fields >> field; ++n) {  // field 3 is the state; 14 utime, 15 stime
    if (n == 14) utime = std::stod(field);
    if (n == 15) { stime = std::stod(field); break; }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string scalar(connection& conn, const std::string& sql) {
  auto result = conn.exec(sql);
  if (!result.ok()) throw std::runtime_error(sql + ": " + result.error().message);
  return std::string(result->text(0, 0).value_or(""));
}

// One transaction of rows[first, first + size) (wrapping around); throws on any failure.
void write_transaction(connection& conn, const std::vector<owned_row>& rows, std::size_t first, std::size_t size,
                       std::vector<record_row>& views) {
  views.clear();
  for (std::size_t k = 0; k < size; ++k) {
    const auto& r = rows[(first + k) % rows.size()];
    views.push_back({r.user_id, r.key, r.record});
  }
  auto txn = transaction::begin(conn);
  if (!txn.ok()) throw std::runtime_error("BEGIN: " + txn.error().message);
  auto written = upsert_records(*txn, views);
  if (!written.ok()) throw std::runtime_error("upsert_records: " + written.error().message);
  if (auto committed = txn->commit(); !committed.ok()) throw std::runtime_error("COMMIT: " + committed.error().message);
}

int run(const rows_options& o) {
  auto opened = connection::open(o.url);
  if (!opened.ok()) throw std::runtime_error("connect: " + opened.error().message);
  connection conn = std::move(opened).value();
  if (auto migrated = migrate(conn); !migrated.ok()) throw std::runtime_error("migrate: " + migrated.error().message);
  const long backend = std::stol(scalar(conn, "SELECT pg_backend_pid()"));
  const std::string fsync = scalar(conn, "SHOW fsync");
  const std::string sync_commit = scalar(conn, "SHOW synchronous_commit");
  const std::string version = scalar(conn, "SHOW server_version");

  std::vector<owned_row> rows;
  rows.reserve(o.records);
  for (std::size_t i = 0; i < o.records; ++i) rows.push_back(make_row(i, o.contents));
  std::vector<record_row> views;
  views.reserve(std::max<std::size_t>(max_rows_per_statement, *std::max_element(o.sizes.begin(), o.sizes.end())));
  // Every key once, untimed: the timed rows then all replace existing ones.
  for (std::size_t first = 0; first < rows.size(); first += max_rows_per_statement)
    write_transaction(conn, rows, first, std::min(max_rows_per_statement, rows.size() - first), views);
  scalar(conn, "VACUUM ANALYZE records");

  std::printf("# progress-pg-rows postgresql=%s fsync=%s synchronous_commit=%s records=%zu seconds_per_size=%.1f\n",
              version.c_str(), fsync.c_str(), sync_commit.c_str(), o.records, o.seconds);
  json::object report{{"postgresql", version}, {"fsync", fsync}, {"synchronous_commit", sync_commit},
                      {"records", o.records}};
  json::array results;
  std::size_t next = 0;
  for (const std::size_t size : o.sizes) {
    const double cpu0 = cpu_seconds();
    const double pg0 = process_cpu_seconds(backend);
    const std::string wal0 = scalar(conn, "SELECT pg_current_wal_lsn()");
    const auto start = steady::now();
    const auto deadline = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.seconds));
    std::size_t transactions = 0;
    do {  // at least one transaction, however large
      write_transaction(conn, rows, next, size, views);
      next = (next + size) % rows.size();
      ++transactions;
    } while (steady::now() < deadline);
    const double secs = std::chrono::duration<double>(steady::now() - start).count();
    const double cpu = cpu_seconds() - cpu0;
    const double pg1 = process_cpu_seconds(backend);
    const double pg_cpu = (pg0 < 0 || pg1 < 0) ? -1 : pg1 - pg0;
    const double written = static_cast<double>(transactions * size);
    const double wal = std::stod(scalar(conn, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + wal0 + "')"));
    std::printf("batch=%-6zu transactions=%-7zu rows=%-8.0f s=%.2f rows_per_s=%-8.0f ms_per_txn=%.3f "
                "wal_B_per_row=%.0f client_cpu_s=%.2f pg_backend_cpu_s=%.2f rows_per_pg_cpu_s=%.0f\n",
                size, transactions, written, secs, written / secs, 1000 * secs / static_cast<double>(transactions),
                wal / written, cpu, pg_cpu, pg_cpu > 0 ? written / pg_cpu : 0.0);
    std::fflush(stdout);
    results.push_back(json::object{{"batch", size}, {"transactions", transactions}, {"rows", written},
                                   {"seconds", secs}, {"rows_per_s", written / secs}, {"wal_bytes_per_row", wal / written},
                                   {"client_cpu_s", cpu},
                                   {"pg_backend_cpu_s", pg_cpu}});
  }
  report["results"] = std::move(results);
  if (!o.json_file.empty()) {
    std::ofstream out(o.json_file);
    out << json::serialize(report) << '\n';
    if (!out) throw std::runtime_error("cannot write " + o.json_file);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"progress-pg-rows: progress records upserted into PostgreSQL per second, by rows per transaction"};
  rows_options o;
  app.add_option("--postgres-url", o.url, "libpq connection string or URI of a database of its own")->required();
  app.add_option("--sizes", o.sizes, "rows per transaction")->delimiter(',')->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "time per size (at least one transaction)")->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  app.add_option("--records", o.records, "distinct keys, written once before timing")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))->capture_default_str();
  app.add_option("--contents", o.contents, "contents per user")->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
  app.add_option("--json", o.json_file, "also write the figures as JSON to FILE");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "progress-pg-rows: " << e.what() << '\n';
    return 2;
  }
}
