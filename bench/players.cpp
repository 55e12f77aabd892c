#include "bench/players.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>

#include "bench/jwt.hpp"

namespace bench {

namespace {
constexpr unsigned step_seconds = 5;
constexpr unsigned max_steps = 600 / step_seconds;  // a 600-second content, watched to its end
constexpr long long base_ts = 1'700'000'000'000;
// A well-mixed hash of a user number (SplitMix64's finaliser).
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// "GET TARGET HTTP/1.1\r\n" and the common headers; with --path the target is that path.
std::string get_head(const options& o, const char* target) {
  return "GET " + (o.path.empty() ? std::string(target) : o.path) + " HTTP/1.1\r\n" +
         common_headers(o, false, false);
}
}  // namespace

player_tables::player_tables(const options& o) : opts_(o) {
  // --steps, or as many (content, step) bodies as --pool allows; at least one step per content.
  const std::size_t wanted = o.steps != 0 ? o.steps : o.pool / o.contents;
  steps_ = static_cast<unsigned>(std::clamp<std::size_t>(wanted, 1, max_steps));

  const std::string secret = read_secret_file(o.jwt_secret_file);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auth_.reserve(o.users);
  char user[32];
  for (unsigned u = 0; u < o.users; ++u) {
    std::snprintf(user, sizeof user, "user-%06u", u);
    auth_.push_back("Authorization: Bearer " + mint_hs256(secret, user, now, now + 86'400) + "\r\n");
  }

  const std::string ping_path = o.path.empty() ? "/v1/progress" : o.path;
  ping_head_ = "POST " + ping_path + " HTTP/1.1\r\n" + common_headers(o, true, false);
  ping_tail_.reserve(std::size_t{o.contents} * steps_);
  read_head_.reserve(o.contents);
  char body[256];
  for (unsigned c = 0; c < o.contents; ++c) {
    for (unsigned s = 0; s < steps_; ++s) {
      const int n = std::snprintf(body, sizeof body,
                                  R"({"content_id":"content-%04u","position_seconds":%u.5,)"
                                  R"("duration_seconds":600,"time_spent_delta_seconds":5,"ts":%lld})",
                                  c, s * step_seconds, base_ts + 1000LL * s * step_seconds);
      ping_tail_.push_back("Content-Length: " + std::to_string(n) + "\r\n\r\n" +
                           std::string(body, static_cast<std::size_t>(n)));
    }
    // With --path the target is that path, not the content's.
    char target[64];
    std::snprintf(target, sizeof target, "/v1/progress/content-%04u", c);
    read_head_.push_back(get_head(o, target));
  }
  if (o.collection_percent > 0) {
    for (unsigned k = 0; k * o.collection_size < o.contents; ++k) {
      char target[64];
      std::snprintf(target, sizeof target, "/v1/collections/course-%04u/progress", k);
      collection_head_.push_back(get_head(o, target));
    }
  }
  continue_head_ = get_head(o, "/v1/users/me/continue");
}

std::size_t player_tables::bytes() const {
  std::size_t n = ping_head_.size();
  for (const auto& s : auth_) n += s.size();
  for (const auto& s : ping_tail_) n += s.size();
  for (const auto& s : read_head_) n += s.size();
  for (const auto& s : collection_head_) n += s.size();
  n += continue_head_.size();
  return n;
}

class player_source final : public request_source {
 public:
  player_source(const player_tables& t, std::size_t index, std::size_t count, clock_type::time_point start)
      : tables_(t), rng_(t.opts_.seed * 7919 + index), interval_(t.opts_.ping_interval_ms) {
    // A player's first content and step depend on its user alone, not on --seed: consecutive runs
    // against one server (bench/long-run) resume on records that exist instead of creating one a
    // user at once; --seed picks the contents players move on to.
    for (std::size_t u = index; u < t.opts_.users; u += count) {
      const std::uint64_t h = splitmix64(u);
      players_.push_back({static_cast<unsigned>(u), static_cast<unsigned>(h % t.opts_.contents),
                          static_cast<unsigned>((h >> 32) % t.steps_), false, {}});
    }
    // Spread the first pings evenly over one interval so the load is smooth from the start.
    for (std::size_t i = 0; i < players_.size(); ++i)
      players_[i].due = start + interval_ * static_cast<long>(i) / static_cast<long>(players_.size());
  }

  next_request next() override {
    player& p = players_[current_];
    next_request r;
    r.due = interval_.count() > 0 ? p.due : clock_type::time_point{};
    // One draw picks the request: [0, 10) reads the current content back (once it has a record),
    // then the continue-watching and collection shares; the rest ping. With both shares at 0 the
    // mix is the plain profile's.
    const unsigned draw = percent_(rng_);
    const unsigned continue_end = 10 + tables_.opts_.continue_percent;
    if (draw < 10) kind_ = p.pinged ? kind::read : kind::ping;
    else if (draw < continue_end) kind_ = kind::continue_list;
    else if (draw < continue_end + tables_.opts_.collection_percent) kind_ = kind::collection;
    else kind_ = kind::ping;
    switch (kind_) {
      case kind::ping:
        r.parts = {tables_.ping_head_, tables_.auth_[p.user],
                   tables_.ping_tail_[std::size_t{p.content} * tables_.steps_ + p.step]};
        break;
      case kind::read: r.parts = {tables_.read_head_[p.content], tables_.auth_[p.user], "\r\n"}; break;
      case kind::continue_list: r.parts = {tables_.continue_head_, tables_.auth_[p.user], "\r\n"}; break;
      case kind::collection:
        r.parts = {tables_.collection_head_[p.content / tables_.opts_.collection_size], tables_.auth_[p.user],
                   "\r\n"};
        break;
    }
    r.part_count = 3;
    return r;
  }

  void answered(unsigned status) override {
    player& p = players_[current_];
    if (kind_ == kind::ping) {
      p.pinged = p.pinged || (status >= 200 && status < 300);
      if (++p.step == tables_.steps_) {  // this content is done: on to another one
        p.step = 0;
        p.content = static_cast<unsigned>(rng_() % tables_.opts_.contents);
        p.pinged = false;
      }
    }
    p.due += interval_;
    if (++current_ == players_.size()) current_ = 0;
  }

 private:
  struct player {
    unsigned user;
    unsigned content;
    unsigned step;
    bool pinged;  // the current content has a record to read back
    clock_type::time_point due;
  };
  const player_tables& tables_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<unsigned> percent_{0, 99};
  std::chrono::milliseconds interval_;
  std::vector<player> players_;
  std::size_t current_ = 0;
  enum class kind { ping, read, continue_list, collection };
  kind kind_ = kind::ping;
};

std::unique_ptr<request_source> player_tables::make_source(std::size_t index, std::size_t count,
                                                           clock_type::time_point start) const {
  return std::make_unique<player_source>(*this, index, count, start);
}

}  // namespace bench
