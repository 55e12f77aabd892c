// The players profile: simulated video players, each a user with its own HS256 token.
//
// Connection i of N plays the users u with u % N == i. A player watches one content at a time: each
// ping moves it 5 s further (a pre-built body per content and step); after the last step it moves
// on to another content. About 10 % of requests read back the player's current content
// (GET /v1/progress/{content_id}, which it has pinged). With --ping-interval-ms > 0 every player
// pings on its own schedule (first pings spread evenly over one interval); with 0 the connection
// cycles through its players as fast as answers come back.
//
// Bytes: one Authorization line per user, one body (with its Content-Length line) per
// (content, step), one request line per content; a request is three views into these tables.
//
// Thread-safety: player_tables is immutable after construction and shared read-only; a
// player_source belongs to one connection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/request_source.hpp"

namespace bench {

class player_tables {
 public:
  // Throws std::runtime_error when the secret file cannot be read.
  explicit player_tables(const options& o);

  std::unique_ptr<request_source> make_source(std::size_t index, std::size_t count,
                                              clock_type::time_point start) const;

  std::size_t bytes() const;
  unsigned steps() const { return steps_; }

 private:
  friend class player_source;
  const options& opts_;
  unsigned steps_ = 1;                    // pings per content before a player moves on
  std::string ping_head_;                 // "POST /v1/progress HTTP/1.1\r\n" + common headers
  std::vector<std::string> auth_;         // per user: "Authorization: Bearer <jwt>\r\n"
  std::vector<std::string> ping_tail_;    // per content*steps+step: "Content-Length: N\r\n\r\n{...}"
  std::vector<std::string> read_head_;    // per content: "GET /v1/progress/content-NNNN HTTP/1.1\r\n" + headers
};

}  // namespace bench
