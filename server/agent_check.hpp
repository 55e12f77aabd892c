#pragma once
// HAProxy's agent-check (`server … check agent-check agent-port P`): on every connection to
// --agent-listen, one line saying what the balancer should do with this node, then close.
//
//   "up ready\n"  in rotation: clears a DRAIN or MAINT this agent set before (HAProxy keeps the
//                 agent's admin state until the agent itself reverts it)
//   "drain\n"     draining after SIGTERM, or an operator asked (PUT /v1/ops/availability): no new
//                 requests, those under way finish
//   "maint\n"     an operator asked for maintenance
//
// Why an agent besides /readyz: readiness is a health check, and HAProxy believes a failed one
// only after `fall` of them (3 × 2 s by default); the agent's drain takes effect at its next check,
// and an operator's drain needs no restart. docs/operations.md, "Taking a node out" and "Rolling restarts".
//
// Thread-safety: runs on one I/O thread; reads server_status's atomics only.

#include "common/log.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace progressd {

struct server_status;

// The line for the node's state as it is now.
std::string_view agent_line(const server_status& status);

class agent_check {
public:
    agent_check(boost::asio::io_context& io, const server_status& status, const logger& log)
        : acceptor_(io), status_(status), log_(log) {}

    // Binds (or throws); returns the address bound ("127.0.0.1:PORT": port 0 resolved).
    std::string start(const std::string& host, std::uint16_t port);
    // Answers connections until stop(); co_spawn it on the io_context given to the constructor.
    boost::asio::awaitable<void> serve();
    // On the io_context's thread.
    void stop();

private:
    boost::asio::ip::tcp::acceptor acceptor_;
    const server_status& status_;
    const logger& log_;
};

}  // namespace progressd
