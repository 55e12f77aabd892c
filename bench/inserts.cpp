#include "bench/inserts.hpp"

#include <random>
#include <string>

#include "bench/request_pool.hpp"

namespace bench {

namespace {

class inserts_source final : public request_source {
 public:
  inserts_source(const options& o, std::size_t index)
      : rng_(o.seed * 0x9E3779B97F4A7C15ULL + index), user_(0, o.users - 1), content_(0, o.contents - 1) {
    const std::string path = o.path.empty() ? "/v1/progress" : o.path;
    head_ = "POST " + path + " HTTP/1.1\r\n" + common_headers(o, true, true);
  }

  next_request next() override {
    body_.clear();
    append_ping(body_, user_(rng_), content_(rng_), position_(rng_));
    length_ = "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n";
    next_request r;
    r.parts = {head_, length_, body_};
    r.part_count = 3;
    return r;
  }
  void answered(unsigned) override {}

 private:
  std::mt19937_64 rng_;
  std::uniform_int_distribution<unsigned> user_;
  std::uniform_int_distribution<unsigned> content_;
  std::uniform_int_distribution<unsigned> position_{0, 599};
  std::string head_;    // request line and common headers
  std::string length_;  // "Content-Length: N\r\n\r\n"
  std::string body_;
};

}  // namespace

std::unique_ptr<request_source> make_inserts_source(const options& o, std::size_t index) {
  return std::make_unique<inserts_source>(o, index);
}

}  // namespace bench
