#pragma once
// Everything one I/O thread owns: its io_context, its acceptor on the shared port
// (SO_REUSEPORT: the kernel spreads connections over the threads, and a connection then lives
// on one thread for its whole life), its sessions and its handler context.
//
// Thread-safety: touched only from its own thread, except construction and `io.stop()`.

#include "handlers/thread_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <list>
#include <optional>

namespace progressd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A session's socket, registered so shutdown can interrupt sessions waiting on their client.
struct session_slot {
    tcp::socket* socket = nullptr;
    bool awaiting_client = true;  // reading a request (or waiting for one), not handling one
};

struct io_thread {
    explicit io_thread(thread_metrics& metrics) : acceptor(io), context{auth::token_cache{}, metrics} {}

    net::io_context io{1};
    tcp::acceptor acceptor;
    thread_context context;
    std::list<session_slot> sessions;
    bool stopping = false;  // set on this thread when the drain period ends
};

}  // namespace progressd
