#include "bench/response_parser.hpp"

#include <algorithm>
#include <charconv>

namespace bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // ASCII letters, digits and '-' compare correctly
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void response_parser::reset() {
  state_ = state::headers;
  status_ = 0;
  close_ = false;
  remaining_ = 0;
  error_ = {};
}

response_parser::result response_parser::fail(std::string_view why) {
  error_ = why;
  return result::error;
}

response_parser::result response_parser::parse_headers(std::string_view head) {
  // "HTTP/1.1 200 OK"
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return fail("bad status line");
  const bool http10 = line[7] == '0';
  if (std::from_chars(line.data() + 9, line.data() + 12, status_).ptr != line.data() + 12 ||
      status_ < 100 || status_ > 999)
    return fail("bad status code");

  bool has_length = false;
  bool chunked = false;
  bool keep_alive = !http10;
  std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (std::from_chars(value.data(), value.data() + value.size(), remaining_).ptr !=
          value.data() + value.size())
        return fail("bad Content-Length");
      has_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = contains_token(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (contains_token(value, "close")) keep_alive = false;
      if (contains_token(value, "keep-alive")) keep_alive = true;
    }
  }
  close_ = !keep_alive;

  if (status_ < 200 || status_ == 204 || status_ == 304) {
    if (status_ < 200) reset();  // an interim answer (100 Continue): the real one follows
    else state_ = state::done;
  } else if (chunked) {
    state_ = state::chunk_size;
  } else if (has_length) {
    state_ = remaining_ == 0 ? state::done : state::body;
  } else {
    state_ = state::until_eof;
    close_ = true;
  }
  return state_ == state::done ? result::done : result::need_more;
}

response_parser::result response_parser::feed(std::string_view data, std::size_t& consumed) {
  consumed = 0;
  while (true) {
    const std::string_view rest = data.substr(consumed);
    switch (state_) {
      case state::headers: {
        const auto end = rest.find("\r\n\r\n");
        if (end == std::string_view::npos) return result::need_more;
        consumed += end + 4;
        if (const auto r = parse_headers(rest.substr(0, end + 2)); r != result::need_more) return r;
        break;
      }
      case state::body:
      case state::chunk_data: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        consumed += take;
        remaining_ -= take;
        if (remaining_ > 0) return result::need_more;
        if (state_ == state::body) {
          state_ = state::done;
          return result::done;
        }
        state_ = state::chunk_crlf;
        break;
      }
      case state::chunk_crlf:
        if (rest.size() < 2) return result::need_more;
        if (rest[0] != '\r' || rest[1] != '\n') return fail("bad chunk end");
        consumed += 2;
        state_ = state::chunk_size;
        break;
      case state::chunk_size: {
        const auto end = rest.find("\r\n");
        if (end == std::string_view::npos) return result::need_more;
        const auto [p, ec] = std::from_chars(rest.data(), rest.data() + end, remaining_, 16);
        if (ec != std::errc{} || p == rest.data()) return fail("bad chunk size");
        consumed += end + 2;  // chunk extensions after the size are ignored
        state_ = remaining_ == 0 ? state::trailers : state::chunk_data;
        break;
      }
      case state::trailers: {
        const auto end = rest.find("\r\n");
        if (end == std::string_view::npos) return result::need_more;
        consumed += end + 2;
        if (end == 0) {
          state_ = state::done;
          return result::done;
        }
        break;
      }
      case state::until_eof:
        consumed = data.size();
        return result::need_more;
      case state::done:
        return result::done;
    }
  }
}

}  // namespace bench
