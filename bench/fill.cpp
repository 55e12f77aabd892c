#include "bench/fill.hpp"

#include <algorithm>
#include <string>

#include "bench/request_pool.hpp"

namespace bench {

namespace {

class fill_source final : public request_source {
 public:
  fill_source(const options& o, std::size_t index, std::size_t count)
      : users_(o.users),
        total_(std::uint64_t{o.users} * o.contents),
        batch_size_(o.batch_size),
        next_batch_(index),
        stride_(count) {
    const std::string path = o.path.empty() ? "/v1/progress/batch" : o.path;
    head_ = "POST " + path + " HTTP/1.1\r\n" + common_headers(o, true, true);
  }

  next_request next() override {
    next_request r;
    const std::uint64_t first = next_batch_ * batch_size_;
    if (first >= total_) return r;  // part_count 0: done
    const std::uint64_t last = std::min(total_, first + batch_size_);
    next_batch_ += stride_;

    body_.clear();
    body_ += R"({"pings":[)";
    for (std::uint64_t record = first; record < last; ++record) {
      if (record > first) body_ += ',';
      const auto user = static_cast<unsigned>(record % users_);
      const auto content = static_cast<unsigned>(record / users_);
      append_ping(body_, user, content, (user * 7 + content) % 600);
    }
    body_ += "]}";
    length_ = "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n";
    r.parts = {head_, length_, body_};
    r.part_count = 3;
    return r;
  }
  void answered(unsigned) override {}

 private:
  std::uint64_t users_;
  std::uint64_t total_;
  std::uint64_t batch_size_;
  std::uint64_t next_batch_;
  std::uint64_t stride_;
  std::string head_;    // request line and common headers
  std::string length_;  // "Content-Length: N\r\n\r\n"
  std::string body_;
};

}  // namespace

std::unique_ptr<request_source> make_fill_source(const options& o, std::size_t index, std::size_t count) {
  return std::make_unique<fill_source>(o, index, count);
}

}  // namespace bench
