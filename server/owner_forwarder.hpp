#pragma once
// Cluster mode (docs/cluster.md): any node answers any request, and one for a user that another
// node owns is sent on to that owner, whose answer goes back to the client unchanged. This is the
// sending side: the owner's answer as a message, or why there is none, as a value.
//
// One forwarder per I/O thread. It keeps, per owner base URL (`http://host:port`, a node's
// advertised URL), a pool of keep-alive connections: a forward takes the one used last (LIFO: it
// is the likeliest still open, and the others can age out), and gives it back after a complete
// answer that keeps the connection alive. A connection that failed in any way is closed, never
// pooled. A pooled connection may have been closed by the owner while it sat idle; so when sending
// on one, or waiting for the first byte of its answer, fails, the request is sent once more on a
// fresh connection: the owner had not started on it. Nothing is ever retried after a byte of the
// answer, after a timeout, or on a fresh connection.
//
// Thread-safety: none needed: a forwarder and its connections belong to one I/O thread and are
// used from its io_context only (server/io_thread.hpp). It must outlive every forward() in
// flight: destroy it once its io_context no longer runs.

#include "server/forward_wire.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace progressd {

namespace net = boost::asio;

struct owner_forwarder_options {
    std::string node_id{};  // this node's id: what forwarded_by_field says
    // At least the forwards one thread has in flight to one owner: below that, connections are
    // opened and closed under load, which doubled a forward's CPU (bench/RESULTS.md, "Cluster mode").
    std::size_t max_idle_per_target = 128;
    std::chrono::milliseconds connect_timeout{1000};
    // From the start of forward() to the owner's whole answer, connecting and a retry included.
    std::chrono::milliseconds exchange_timeout{10000};
    // An owner closes a connection idle for its --idle-timeout (60 s by default): one idle nearly
    // that long is closed here rather than tried, which would likely cost a retry.
    std::chrono::milliseconds max_idle_age{50000};
    // A Sunbird summary download can be large; the answer is held whole in memory.
    std::size_t max_answer_body_bytes = 64 * 1024 * 1024;
    std::size_t max_answer_header_bytes = 64 * 1024;
};

enum class forward_error {
    none,
    not_forwardable,  // the base URL is not http://host[:port][/], or the method is not a known verb
    connect_failed,   // the owner's address did not resolve or refused or failed the connection: nothing was sent
    timed_out,        // connect_timeout or exchange_timeout ran out
    broken,           // the connection failed, or the answer was malformed or over a limit, after sending
};

std::string_view to_string(forward_error error);

struct forward_outcome {
    forward_error error = forward_error::none;
    boost::system::error_code cause{};  // the underlying error, for the log
    // Some of the request was written to the owner, which may then have acted on it: a failure
    // after this is not known to have changed nothing.
    bool sent = false;
    http::response<http::string_body> answer{};  // the owner's answer, when error is none

    bool ok() const { return error == forward_error::none; }
};

// Counters for metrics, plain integers of the owning thread.
struct forward_stats {
    std::uint64_t forwarded = 0;           // forwards that brought back the owner's answer
    std::uint64_t failed = 0;              // forwards that ended in an error
    std::uint64_t connections_opened = 0;  // connects that succeeded
    std::uint64_t connections_reused = 0;  // sends on a pooled connection
    std::uint64_t retried = 0;             // requests sent again after a pooled connection had failed
};

class owner_forwarder {
public:
    owner_forwarder(net::any_io_executor executor, owner_forwarder_options options);
    ~owner_forwarder();
    owner_forwarder(const owner_forwarder&) = delete;
    owner_forwarder& operator=(const owner_forwarder&) = delete;

    // Sends `request` to the node at `base_url` (serialize_forward_request) and reads its answer;
    // the HEAD answer has no body, whatever its Content-Length says. `request` (and what it views)
    // is read only before the first suspension, so it may change while the forward runs.
    net::awaitable<forward_outcome> forward(const http_request& request, std::string_view base_url);

    const forward_stats& stats() const;
    std::size_t idle_connections() const;  // pooled, over every target
    // Closes every pooled connection (at shutdown, or when the owners changed); forwards in
    // flight keep theirs.
    void close_idle();

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace progressd
