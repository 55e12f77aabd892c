#pragma once
// Everything one I/O thread owns: its io_context, its acceptor on the shared port
// (SO_REUSEPORT: the kernel spreads connections over the threads, and a connection then lives
// on one thread for its whole life), its sessions and its handler context.
//
// Thread-safety: touched only from its own thread, except construction and `io.stop()`.

#include "handlers/thread_context.hpp"
#include "server/durable_gate.hpp"
#include "server/load_gate.hpp"
#include "server/owner_forwarder.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <optional>

namespace progressd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

using deadline_clock = std::chrono::steady_clock;

// A session's socket, registered so shutdown can interrupt sessions waiting on their client and
// the thread's sweeper can cut off sessions past their deadline. Deadlines are plain values
// checked a few times a second, not a timer per I/O operation: a request then costs no timer
// system calls, at the price of timeouts firing up to one sweep interval late.
struct session_slot {
    tcp::socket* socket = nullptr;
    bool awaiting_client = true;  // reading a request (or waiting for one), not handling one
    deadline_clock::time_point deadline = deadline_clock::time_point::max();
    bool timed_out = false;  // the sweeper cancelled the socket's operations
};

struct io_thread {
    io_thread(thread_metrics& metrics, app::write_behind& persister)
        : acceptor(io), sweeper(io), durable(io, persister), load(io), context{auth::token_cache{}, metrics} {}

    // Its sockets are used from this thread only, so the reactor needs no per-socket locks; other
    // threads only post to it (the persister's durability callbacks, shutdown), which stays locked.
    net::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    tcp::acceptor acceptor;
    net::steady_timer sweeper;  // enforces session deadlines
    durable_gate durable;       // where sync-mode writes wait for the persister
    load_gate load;             // where API requests wait while the store loads
    // Cluster mode: this thread's pooled connections to the other nodes (server/cluster_gate.hpp).
    std::optional<owner_forwarder> forwarder;
    thread_context context;
    std::list<session_slot> sessions;
    bool stopping = false;  // set on this thread when the drain period ends
};

}  // namespace progressd
