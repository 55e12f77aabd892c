#pragma once
// Where the API requests of one I/O thread wait while the store loads (docs/operations.md,
// "Start-up and the ready line").
//
// The server listens before it loads, so that /livez answers during a long recovery. A request
// for the API that arrives then would find half the data; instead of answering it 503 at once, the
// session suspends here until the load ends or --load-hold-seconds passes, whichever is first, and
// is then dispatched as usual (past the bound the handlers' own check answers 503 with Retry-After).
// A restart after a crash or a deploy then costs clients a few hundred milliseconds of latency
// rather than errors. Each waiter has its own timer for its bound; opening the gate cancels them
// all, on this thread, so nothing blocks and no waiter polls.
//
// Thread-safety: belongs to its I/O thread; other threads reach it only by posting `open`.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <string_view>

namespace progressd {

class load_gate {
public:
    explicit load_gate(boost::asio::io_context& io) : io_(io) {}
    load_gate(const load_gate&) = delete;
    load_gate& operator=(const load_gate&) = delete;

    // Suspends until open() (the load ended, or the server stops) or `bound` has passed.
    boost::asio::awaitable<void> wait(std::chrono::steady_clock::duration bound);
    // Wakes every waiter; later waits return at once.
    void open();
    bool is_open() const { return open_; }

private:
    boost::asio::io_context& io_;
    std::list<boost::asio::steady_timer*> waiters_;
    bool open_ = false;
};

// Probes and monitoring (/livez, /healthz, /readyz, /metrics, /openapi.json) are answered as they
// are at any time: they are not held while loading, and do not keep a drain going.
bool is_probe_target(std::string_view target);

}  // namespace progressd
