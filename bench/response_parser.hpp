// A lean HTTP/1.1 response parser: status line, Content-Length or chunked framing, keep-alive.
//
// The generator only needs to know where each answer ends and what its status was, so it skips
// bodies instead of storing them, and never allocates. Headers must arrive whole within the
// caller's buffer (feed() answers need_more until "\r\n\r\n" is in view; the caller reports
// "headers too large" when its buffer is full).
//
// Thread-safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bench {

class response_parser {
 public:
  enum class result { need_more, done, error };

  // Forget the previous response (call before each request).
  void reset();

  // Consumes a prefix of `data` and says whether the response is complete. `consumed` is how many
  // bytes were used; on done, the bytes after them belong to the next response.
  result feed(std::string_view data, std::size_t& consumed);

  unsigned status() const { return status_; }
  // The server will close after this response (Connection: close, or HTTP/1.0 without keep-alive).
  bool close_after() const { return close_; }
  // The body runs until the server closes the connection (no length, not chunked).
  bool until_eof() const { return state_ == state::until_eof; }
  std::string_view error() const { return error_; }

 private:
  enum class state { headers, body, chunk_size, chunk_data, chunk_crlf, trailers, until_eof, done };

  result parse_headers(std::string_view head);
  result fail(std::string_view why);

  state state_ = state::headers;
  unsigned status_ = 0;
  bool close_ = false;
  std::uint64_t remaining_ = 0;
  std::string_view error_;
};

}  // namespace bench
