#include "bench/request_pool.hpp"

#include <cstdio>
#include <random>

namespace bench {

std::string common_headers(const options& o, bool post, bool with_api_key) {
  std::string h = "Host: " + o.host + ":" + o.port + "\r\n";
  if (with_api_key && !o.api_key.empty()) h += "Authorization: Bearer " + o.api_key + "\r\n";
  if (!o.origin.empty()) h += "Origin: " + o.origin + "\r\n";
  if (post) {
    h += "Content-Type: application/json\r\n";
    if (o.minimal) h += "Prefer: return=minimal\r\n";
  }
  return h;
}

namespace {

constexpr long long fixed_ts = 1'700'000'000'123;  // as post.lua: one timestamp for every ping

}  // namespace

void append_ping(std::string& out, unsigned user, unsigned content, unsigned position) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf,
                              R"({"user_id":"user-%06u","content_id":"content-%04u",)"
                              R"("position_seconds":%u.5,"duration_seconds":600,)"
                              R"("time_spent_delta_seconds":5,"ts":%lld})",
                              user, content, position, fixed_ts);
  out.append(buf, static_cast<std::size_t>(n));
}

void append_ping(std::string& out, std::string_view user, unsigned content, unsigned position) {
  char buf[256];
  out += R"({"user_id":")";
  out += user;
  const int n = std::snprintf(buf, sizeof buf,
                              R"(","content_id":"content-%04u","position_seconds":%u.5,"duration_seconds":600,)"
                              R"("time_spent_delta_seconds":5,"ts":%lld})",
                              content, position, fixed_ts);
  out.append(buf, static_cast<std::size_t>(n));
}

namespace {

void append_post(std::string& arena, const std::string& path, const std::string& headers,
                 const std::string& body) {
  arena += "POST ";
  arena += path;
  arena += " HTTP/1.1\r\n";
  arena += headers;
  arena += "Content-Length: ";
  arena += std::to_string(body.size());
  arena += "\r\n\r\n";
  arena += body;
}

// Walks the pool in order, wrapping around.
class pool_source final : public request_source {
 public:
  pool_source(const request_pool& pool, std::size_t start) : pool_(pool), next_(start) {}

  next_request next() override {
    next_request r;
    r.parts[0] = pool_.at(next_);
    r.part_count = 1;
    if (++next_ == pool_.size()) next_ = 0;
    return r;
  }
  void answered(unsigned) override {}

 private:
  const request_pool& pool_;
  std::size_t next_;
};

}  // namespace

request_pool::request_pool(const options& o, std::size_t max_bytes) {
  std::mt19937_64 rng(o.seed);
  const bool listed = !o.user_ids.empty();
  std::uniform_int_distribution<unsigned> user(
      0, listed ? static_cast<unsigned>(o.user_ids.size() - 1) : o.users - 1);
  const auto ping = [&](std::string& out, unsigned u, unsigned c, unsigned p) {
    if (listed) append_ping(out, o.user_ids[u], c, p);
    else append_ping(out, u, c, p);
  };
  std::uniform_int_distribution<unsigned> content(0, o.contents - 1);
  std::uniform_int_distribution<unsigned> position(0, 599);
  std::uniform_int_distribution<unsigned> percent(0, 99);

  const std::string ping_path = o.path.empty() ? "/v1/progress" : o.path;
  const std::string batch_path = o.path.empty() ? "/v1/progress/batch" : o.path;
  const std::string post_headers = common_headers(o, true, true);
  const std::string get_headers = common_headers(o, false, true);

  entries_.reserve(o.pool);
  std::string body;
  unsigned last_user = 0;
  unsigned last_content = 0;
  for (std::size_t i = 0; i < o.pool && arena_.size() < max_bytes; ++i) {
    kind what = kind::ping;
    if (o.profile == profile::batch) {
      what = kind::batch;
    } else if (o.profile == profile::mixed) {
      const unsigned p = percent(rng);
      // 80 % pings, 10 % batches, 10 % reads; a read only ever follows a ping (see the header).
      if (p >= 90 && i > 0 && entries_.back().what == kind::ping) what = kind::read;
      else if (p >= 80 && p < 90) what = kind::batch;
    }

    const std::size_t offset = arena_.size();
    body.clear();
    switch (what) {
      case kind::ping:
        last_user = user(rng);
        last_content = content(rng);
        ping(body, last_user, last_content, position(rng));
        append_post(arena_, ping_path, post_headers, body);
        break;
      case kind::batch:
        body += R"({"pings":[)";
        for (unsigned k = 0; k < o.batch_size; ++k) {
          if (k > 0) body += ',';
          ping(body, user(rng), content(rng), position(rng));
        }
        body += "]}";
        append_post(arena_, batch_path, post_headers, body);
        break;
      case kind::read: {
        char target[512];
        if (listed)
          std::snprintf(target, sizeof target, "/v1/progress/content-%04u?user_id=%s", last_content,
                        o.user_ids[last_user].c_str());
        else
          std::snprintf(target, sizeof target, "/v1/progress/content-%04u?user_id=user-%06u", last_content,
                        last_user);
        arena_ += "GET ";
        arena_ += o.path.empty() ? std::string(target) : o.path;
        arena_ += " HTTP/1.1\r\n";
        arena_ += get_headers;
        arena_ += "\r\n";
        break;
      }
    }
    entries_.push_back({offset, static_cast<std::uint32_t>(arena_.size() - offset), what});
  }
  arena_.shrink_to_fit();
}

std::unique_ptr<request_source> request_pool::make_source(std::size_t index, std::size_t count) const {
  std::size_t start = entries_.size() * index / count;
  // Slot 0 is never a read, so this stops.
  while (entries_[start].what == kind::read) start = (start + 1) % entries_.size();
  return std::make_unique<pool_source>(*this, start);
}

}  // namespace bench
