// progress-bench's configuration: one struct, parsed once in main and passed down by const&.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

enum class profile { pings, players, batch, mixed, fill, inserts };

struct options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string path;  // empty: each request uses its own endpoint (/v1/progress, .../batch, ...)

  unsigned connections = 64;
  unsigned threads = 1;
  std::chrono::milliseconds duration{10'000};
  std::chrono::milliseconds warmup{2'000};

  bench::profile profile = profile::pings;
  unsigned users = 100'000;
  unsigned contents = 1'000;
  // --users-file: the users to ping instead of user-%06d over --users (pings, batch, mixed), so a
  // run can pick exactly the users one cluster node owns.
  std::vector<std::string> user_ids;
  std::string api_key;          // service principal: Authorization: Bearer KEY, user_id in bodies
  std::string jwt_secret_file;  // players: per-user HS256 tokens
  std::string origin;           // sent as Origin on every request, as a page on another origin would
  unsigned ping_interval_ms = 0;
  // players: pings per content before a player moves on (0: as many as --pool allows, up to 120),
  // so the share of pings that start a content, i.e. create a record, is about 1 / steps.
  unsigned steps = 0;
  // players: percent of requests that read the user's continue-watching list and the progress of
  // the collection holding the current content (course-%04u = content / collection_size; the
  // server's catalog must define those collections, or the reads answer 404).
  unsigned continue_percent = 0;
  unsigned collection_percent = 0;
  unsigned collection_size = 10;
  unsigned batch_size = 50;
  std::size_t pool = 65'536;
  std::string json_file;
  bool minimal = false;
  bool allow_errors = false;
  std::uint64_t seed = 1;
};

// Parses argv. Returns the options, or the process exit code when parsing ended the run
// (--help: 0, a bad flag: non-zero); the message has already been printed.
struct parse_result {
  std::optional<options> opts;
  int exit_code = 0;
};
parse_result parse_options(int argc, char** argv);

// "10", "10s", "250ms", "2m" -> milliseconds; nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

const char* to_string(profile p);

}  // namespace bench
