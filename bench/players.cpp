#include "bench/players.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "bench/jwt.hpp"

namespace bench {

namespace {
constexpr unsigned step_seconds = 5;
constexpr unsigned max_steps = 600 / step_seconds;  // a 600-second content, watched to its end
constexpr long long base_ts = 1'700'000'000'000;
}  // namespace

player_tables::player_tables(const options& o) : opts_(o) {
  // As many (content, step) bodies as --pool allows, at least one step per content.
  steps_ = static_cast<unsigned>(std::clamp<std::size_t>(o.pool / o.contents, 1, max_steps));

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
    read_head_.push_back("GET " + (o.path.empty() ? std::string(target) : o.path) + " HTTP/1.1\r\n" +
                         common_headers(o, false, false));
  }
}

std::size_t player_tables::bytes() const {
  std::size_t n = ping_head_.size();
  for (const auto& s : auth_) n += s.size();
  for (const auto& s : ping_tail_) n += s.size();
  for (const auto& s : read_head_) n += s.size();
  return n;
}

class player_source final : public request_source {
 public:
  player_source(const player_tables& t, std::size_t index, std::size_t count, clock_type::time_point start)
      : tables_(t), rng_(t.opts_.seed * 7919 + index), interval_(t.opts_.ping_interval_ms) {
    std::uniform_int_distribution<unsigned> content(0, t.opts_.contents - 1);
    std::uniform_int_distribution<unsigned> step(0, t.steps_ - 1);
    for (std::size_t u = index; u < t.opts_.users; u += count)
      players_.push_back({static_cast<unsigned>(u), content(rng_), step(rng_), false, {}});
    // Spread the first pings evenly over one interval so the load is smooth from the start.
    for (std::size_t i = 0; i < players_.size(); ++i)
      players_[i].due = start + interval_ * static_cast<long>(i) / static_cast<long>(players_.size());
  }

  next_request next() override {
    player& p = players_[current_];
    next_request r;
    r.due = interval_.count() > 0 ? p.due : clock_type::time_point{};
    reading_ = p.pinged && percent_(rng_) < 10;
    if (reading_) {
      r.parts = {tables_.read_head_[p.content], tables_.auth_[p.user], "\r\n"};
    } else {
      r.parts = {tables_.ping_head_, tables_.auth_[p.user],
                 tables_.ping_tail_[std::size_t{p.content} * tables_.steps_ + p.step]};
    }
    r.part_count = 3;
    return r;
  }

  void answered(unsigned status) override {
    player& p = players_[current_];
    if (!reading_) {
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
  bool reading_ = false;
};

std::unique_ptr<request_source> player_tables::make_source(std::size_t index, std::size_t count,
                                                           clock_type::time_point start) const {
  return std::make_unique<player_source>(*this, index, count, start);
}

}  // namespace bench
