#include "bench/options.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>

namespace bench {

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  double value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || value < 0) return std::nullopt;
  const std::string unit(ptr, last);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60'000;
  else return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * scale));
}

const char* to_string(profile p) {
  switch (p) {
    case profile::pings: return "pings";
    case profile::players: return "players";
    case profile::batch: return "batch";
    case profile::mixed: return "mixed";
    case profile::fill: return "fill";
    case profile::inserts: return "inserts";
  }
  return "?";
}

namespace {

// "http://host:port[/path]" or "host:port[/path]" into o.host, o.port and (if given) o.path.
bool split_url(std::string url, options& o) {
  if (url.starts_with("http://")) url.erase(0, 7);
  else if (url.find("://") != std::string::npos) return false;  // https and friends: not supported
  const auto slash = url.find('/');
  if (slash != std::string::npos) {
    if (o.path.empty() && url.size() > slash + 1) o.path = url.substr(slash);
    url.resize(slash);
  }
  const auto colon = url.rfind(':');
  if (colon == std::string::npos) {
    o.host = url;
    o.port = "80";
  } else {
    o.host = url.substr(0, colon);
    o.port = url.substr(colon + 1);
  }
  return !o.host.empty() && !o.port.empty();
}

}  // namespace

parse_result parse_options(int argc, char** argv) {
  CLI::App app{"progress-bench: HTTP/1.1 keep-alive load generator for progressd and its peers"};
  options o;
  std::string url = "http://127.0.0.1:8080";
  std::string duration = "10s";
  std::string warmup = "2s";
  const std::map<std::string, profile> profiles{{"pings", profile::pings},
                                                {"players", profile::players},
                                                {"batch", profile::batch},
                                                {"mixed", profile::mixed},
                                                {"fill", profile::fill},
                                                {"inserts", profile::inserts}};

  app.add_option("--url", url, "server address, http://HOST:PORT[/path]")->capture_default_str();
  app.add_option("--connections,-c", o.connections, "keep-alive connections")
      ->check(CLI::Range(1u, 100'000u))->capture_default_str();
  app.add_option("--threads,-t", o.threads, "generator threads (one io_context each)")
      ->check(CLI::Range(1u, 256u))->capture_default_str();
  app.add_option("--duration,-d", duration, "measured time (10, 10s, 500ms, 1m)")->capture_default_str();
  app.add_option("--warmup", warmup, "warm-up before measuring (not counted in figures)")
      ->capture_default_str();
  std::string profile_name = "pings";
  app.add_option("--profile", profile_name,
                 "workload: pings | players | batch | mixed | fill (every user x content once, then stop) | "
                 "inserts (pings drawn as sent, never repeating a pool: nearly every one a new record)")
      ->check(CLI::IsMember({"pings", "players", "batch", "mixed", "fill", "inserts"}))->capture_default_str();
  app.add_option("--users", o.users, "distinct users (user-%06d)")
      ->check(CLI::Range(1u, 100'000'000u))->capture_default_str();
  app.add_option("--contents", o.contents, "distinct contents (content-%04d)")
      ->check(CLI::Range(1u, 100'000'000u))->capture_default_str();
  std::string users_file;
  app.add_option("--users-file", users_file,
                 "pings, batch, mixed: ping these users (one id a line) instead of user-%06d over --users");
  app.add_option("--api-key", o.api_key, "service key: Authorization: Bearer KEY, user_id in bodies");
  app.add_option("--jwt-secret-file", o.jwt_secret_file, "players: HS256 secret (file bytes, trailing whitespace trimmed)");
  app.add_option("--origin", o.origin, "send Origin: ORIGIN on every request (the cost of CORS, with a server that allows it)");
  app.add_option("--ping-interval-ms", o.ping_interval_ms, "players: ms between one player's pings (0 = as fast as possible)")
      ->capture_default_str();
  app.add_option("--steps", o.steps,
                 "players: pings per content before moving on (0 = --pool / --contents, 1..120)")
      ->check(CLI::Range(0u, 120u))->capture_default_str();
  app.add_option("--continue-percent", o.continue_percent,
                 "players: percent of requests that read GET /v1/users/me/continue")
      ->check(CLI::Range(0u, 50u))->capture_default_str();
  app.add_option("--collection-percent", o.collection_percent,
                 "players: percent of requests that read GET /v1/collections/course-NNNN/progress of the "
                 "current content's collection (the server's catalog must define them)")
      ->check(CLI::Range(0u, 50u))->capture_default_str();
  app.add_option("--collection-size", o.collection_size,
                 "players: contents per collection (content c is in course-%04d of c / SIZE)")
      ->check(CLI::Range(1u, 10'000u))->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "pings per batch request")
      ->check(CLI::Range(1u, 1000u))->capture_default_str();
  app.add_option("--pool", o.pool, "pre-built requests")->check(CLI::Range(1ul, 100'000'000ul))
      ->capture_default_str();
  app.add_option("--path", o.path, "send every request to this path instead of the profile's endpoints");
  app.add_option("--json", o.json_file, "also write the report as JSON to FILE");
  app.add_flag("--minimal", o.minimal, "send Prefer: return=minimal (progressd answers 204)");
  app.add_flag("--allow-errors", o.allow_errors, "exit 0 even after socket errors or non-2xx answers");
  app.add_option("--seed", o.seed, "random seed for the request pool")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }

  const auto fail = [](const std::string& message) {
    std::cerr << "progress-bench: " << message << '\n';
    return parse_result{std::nullopt, 2};
  };
  if (!split_url(url, o)) return fail("--url must look like http://HOST:PORT");
  const auto d = parse_duration(duration);
  const auto w = parse_duration(warmup);
  if (!d || d->count() == 0) return fail("--duration must be a positive time such as 10s");
  if (!w) return fail("--warmup must be a time such as 2s");
  o.profile = profiles.at(profile_name);
  o.duration = *d;
  o.warmup = *w;
  if (!users_file.empty()) {
    if (o.profile == profile::players || o.profile == profile::fill || o.profile == profile::inserts)
      return fail("--users-file is for the pings, batch and mixed profiles");
    std::ifstream in(users_file);
    if (!in) return fail("cannot read --users-file " + users_file);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) o.user_ids.push_back(line);
    }
    if (o.user_ids.empty()) return fail("--users-file " + users_file + " names no user");
  }
  if (o.profile == profile::players && o.jwt_secret_file.empty())
    return fail("--profile players needs --jwt-secret-file");
  if (o.profile == profile::players && o.users < o.connections)
    return fail("--profile players needs --users >= --connections (each connection simulates players)");
  const bool players_mix = o.steps != 0 || o.continue_percent != 0 || o.collection_percent != 0;
  if (players_mix && o.profile != profile::players)
    return fail("--steps, --continue-percent and --collection-percent are for the players profile");
  if (o.continue_percent + o.collection_percent > 50)
    return fail("--continue-percent and --collection-percent add up to at most 50");
  return {std::move(o), 0};
}

}  // namespace bench
