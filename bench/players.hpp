// The players profile: simulated video players, each a user with its own HS256 token.
//
// Connection i of N plays the users u with u % N == i. A player watches one content at a time: each
// ping moves it 5 s further (a pre-built body per content and step); after the last step it moves
// on to another content. About 10 % of requests read back the player's current content
// (GET /v1/progress/{content_id}, which it has pinged). With --ping-interval-ms > 0 every player
// pings on its own schedule (first pings spread evenly over one interval); with 0 the connection
// cycles through its players as fast as answers come back.
//
// The mix can add two reads a player app makes (0 % each by default, so the plain profile is
// unchanged): --continue-percent reads the user's continue-watching list
// (GET /v1/users/me/continue), --collection-percent the progress of the collection holding the
// current content (GET /v1/collections/course-NNNN/progress, NNNN = content / --collection-size;
// the server's catalog must define those collections). --steps sets the pings per content, so
// about 1 ping in --steps starts a content, which is a new record while users x contents is far
// from filled. A player's first content and step depend on its user only (not --seed), so runs
// one after another against one server resume on existing records; --seed picks where players go next.
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
  std::vector<std::string> collection_head_;  // per collection: "GET /v1/collections/course-NNNN/progress ..."
  std::string continue_head_;             // "GET /v1/users/me/continue HTTP/1.1\r\n" + headers
};

}  // namespace bench
