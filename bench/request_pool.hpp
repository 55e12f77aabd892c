// The pre-built request pool for the service-principal profiles (pings, batch, mixed).
//
// Every request is a complete HTTP/1.1 message in one arena, built before the run, so sending one
// costs a pointer bump and a write. Bodies follow ../shared/peers/post.lua: user-%06d over --users,
// content-%04d over --contents, a position, duration 600, delta 5 and a timestamp.
//
// In the mixed profile a read (GET /v1/progress/{content}?user_id=) always follows the ping it
// reads back, and a connection walks the pool in order from a ping slot, so a read never asks for
// a record its own connection has not just written (no 404 from the workload itself).
//
// Thread-safety: immutable after construction; shared read-only by all connections.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/options.hpp"
#include "bench/request_source.hpp"

namespace bench {

// Appends one ping body for a service principal, shaped like post.lua's: user-%06u, content-%04u,
// position_seconds POSITION.5, duration 600, delta 5, a fixed ts.
void append_ping(std::string& out, unsigned user, unsigned content, unsigned position);
// The same with a user id given as is (--users-file; ids must need no JSON escaping).
void append_ping(std::string& out, std::string_view user, unsigned content, unsigned position);

class request_pool {
 public:
  enum class kind : std::uint8_t { ping, batch, read };

  // Builds min(o.pool, what fits in `max_bytes`) requests for o.profile (not players).
  request_pool(const options& o, std::size_t max_bytes = std::size_t{128} << 20);

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return arena_.size(); }
  std::string_view at(std::size_t i) const { return {arena_.data() + entries_[i].offset, entries_[i].length}; }
  kind kind_at(std::size_t i) const { return entries_[i].what; }

  // A source for connection `index` of `count`: starts at its own slice of the pool, on a ping.
  std::unique_ptr<request_source> make_source(std::size_t index, std::size_t count) const;

 private:
  struct entry {
    std::size_t offset;
    std::uint32_t length;
    kind what;
  };
  std::string arena_;
  std::vector<entry> entries_;
};

}  // namespace bench
