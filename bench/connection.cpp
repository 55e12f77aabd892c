#include "bench/connection.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bench/response_parser.hpp"

namespace bench {

using tcp = net::ip::tcp;

namespace {

constexpr std::size_t buffer_bytes = 64 * 1024;  // headers must fit; bodies stream through
constexpr auto retry_pause = std::chrono::milliseconds(20);
constexpr auto timer_slice = std::chrono::milliseconds(100);  // paced waits re-check the phase this often

void note_failure(thread_stats& stats, std::string_view what) {
  if (stats.first_failure.empty()) stats.first_failure.assign(what.substr(0, 800));
}

struct active_guard {
  explicit active_guard(run_control& c) : control(c) { control.active.fetch_add(1); }
  ~active_guard() { control.active.fetch_sub(1); }
  active_guard(const active_guard&) = delete;
  active_guard& operator=(const active_guard&) = delete;
  run_control& control;
};

bool stopping(const run_control& control) {
  return control.current.load(std::memory_order_relaxed) == phase::stopping;
}

}  // namespace

// The hot loop avoids every syscall it can. The socket is non-blocking and a request is written
// with one direct writev (the async path only finishes a short write). The answer is read with
// async_read_some: after a read that drained the socket, Asio skips the speculative recv and waits
// for the edge-triggered epoll event, so each request costs one writev, one recv and a share of one
// epoll_wait (no EAGAIN reads, no epoll_ctl).
net::awaitable<void> run_connection(tcp::endpoint endpoint, std::unique_ptr<request_source> source,
                                    thread_stats& stats, run_control& control) {
  active_guard guard(control);
  const auto executor = co_await net::this_coro::executor;
  const auto token = net::as_tuple(net::use_awaitable);
  tcp::socket socket(executor);
  net::steady_timer timer(executor);
  std::vector<char> buffer(buffer_bytes);
  std::size_t begin = 0;
  std::size_t end = 0;
  response_parser parser;

  const auto fail = [&](std::string_view what) {
    ++stats.errors;
    note_failure(stats, what);
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  const auto pause = [&]() -> net::awaitable<void> {
    timer.expires_after(retry_pause);
    co_await timer.async_wait(token);
  };

  while (!stopping(control)) {
    if (!socket.is_open()) {
      begin = end = 0;
      auto [ec] = co_await socket.async_connect(endpoint, token);
      if (ec) {
        fail("connect: " + ec.message());
        co_await pause();
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      socket.non_blocking(true);
    }

    const next_request request = source->next();
    if (request.part_count == 0) {  // the source is done (fill): this connection ends
      control.finished.fetch_add(1);
      break;
    }
    if (request.due != clock_type::time_point{}) {
      while (clock_type::now() < request.due && !stopping(control)) {
        timer.expires_at(std::min(request.due, clock_type::now() + timer_slice));
        co_await timer.async_wait(token);
      }
      if (stopping(control)) break;
    }

    // Write: one writev; the async path only when the kernel took part of it.
    std::array<net::const_buffer, 3> parts;
    for (std::size_t i = 0; i < request.part_count; ++i)
      parts[i] = net::buffer(request.parts[i].data(), request.parts[i].size());
    const auto sent_at = clock_type::now();
    const auto started = request.due == clock_type::time_point{} ? sent_at : request.due;
    boost::system::error_code ec;
    std::size_t total = 0;
    for (std::size_t i = 0; i < request.part_count; ++i) total += parts[i].size();
    std::size_t written = socket.write_some(std::span(parts.data(), request.part_count), ec);
    if (ec == net::error::would_block) ec = {}, written = 0;
    if (!ec && written < total) {
      std::array<net::const_buffer, 3> rest;
      std::size_t n = 0, skip = written;
      for (std::size_t i = 0; i < request.part_count; ++i) {
        if (skip >= parts[i].size()) { skip -= parts[i].size(); continue; }
        rest[n++] = parts[i] + skip;
        skip = 0;
      }
      std::tie(ec, std::ignore) = co_await net::async_write(socket, std::span(rest.data(), n), token);
    }
    if (ec) {
      fail("write: " + ec.message());
      co_await pause();
      continue;
    }

    // Read until the parser has one whole answer.
    parser.reset();
    auto result = response_parser::result::need_more;
    while (true) {
      if (begin < end) {
        std::size_t used = 0;
        const std::string_view fed(buffer.data() + begin, end - begin);
        result = parser.feed(fed, used);
        // Keep the first failed answer's bytes (status line, headers, problem body) for the report.
        if (parser.status() >= 300 && stats.first_failure.empty()) {
          const std::string_view line = request.parts[0].substr(0, request.parts[0].find('\r'));
          note_failure(stats, std::string(line) + " -> " + std::string(fed.substr(0, 600)));
        }
        begin += used;
        if (begin == end) begin = end = 0;
        if (result != response_parser::result::need_more) break;
      }
      if (end == buffer.size()) {
        if (begin == 0) {
          result = response_parser::result::error;
          fail("response headers larger than 64 KiB");
          break;
        }
        std::memmove(buffer.data(), buffer.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      std::size_t n = 0;
      std::tie(ec, n) = co_await socket.async_read_some(net::buffer(buffer.data() + end, buffer.size() - end), token);
      if (ec == net::error::eof && parser.until_eof()) {
        result = response_parser::result::done;  // the close ends this body
        break;
      }
      if (ec) {
        result = response_parser::result::error;
        fail("read: " + ec.message());
        break;
      }
      end += n;
    }
    if (result == response_parser::result::error) {
      if (socket.is_open()) fail(std::string("bad response: ") + std::string(parser.error()));
      co_await pause();
      continue;
    }

    // Record the answer.
    const unsigned status = parser.status();
    const auto done_at = clock_type::now();
    if (control.current.load(std::memory_order_relaxed) == phase::measuring) {
      ++stats.requests;
      ++stats.by_class[status / 100 < stats.by_class.size() ? status / 100 : 0];
      stats.latency_us.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(done_at - started).count()));
    }
    if (status < 200 || status > 299) ++stats.non2xx;
    source->answered(status);
    if (parser.close_after() || parser.until_eof()) {
      ++stats.reconnects;
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  }
}

}  // namespace bench
