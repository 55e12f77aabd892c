#include "server/agent_check.hpp"

#include "handlers/services.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>

namespace progressd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string_view agent_line(const server_status& status) {
    if (status.draining.load(std::memory_order_acquire)) return "drain\n";
    switch (status.operator_state.load(std::memory_order_acquire)) {
        case availability::drain: return "drain\n";
        case availability::maint: return "maint\n";
        case availability::ready: break;
    }
    return "up ready\n";
}

std::string agent_check::start(const std::string& host, std::uint16_t port) {
    net::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    const auto endpoint = resolver.resolve(host, std::to_string(port)).begin()->endpoint();
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    const auto bound = acceptor_.local_endpoint();
    return bound.address().to_string() + ":" + std::to_string(bound.port());
}

net::awaitable<void> agent_check::serve() {
    net::steady_timer backoff(acceptor_.get_executor());
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec) {
            log_.warn("agent_accept_failed", {{"error", std::string_view(ec.message())}});
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        // A dozen bytes into a fresh connection's empty send buffer: this write completes at once,
        // so answering inline keeps the agent to one coroutine.
        const std::string_view line = agent_line(status_);
        co_await net::async_write(socket, net::buffer(line.data(), line.size()), net::as_tuple(net::use_awaitable));
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
}

void agent_check::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

}  // namespace progressd
