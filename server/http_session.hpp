#pragma once
// One coroutine per connection: read a request under limits and deadlines, dispatch it, wait for
// durability when required, write the response, repeat while keep-alive holds.

#include "server/config.hpp"
#include "server/io_thread.hpp"

#include <boost/asio/awaitable.hpp>

namespace progressd {

class cors_policy;
class router;
struct services;

struct session_env {
    const server_config& config;
    const router& routes;
    const cors_policy& cors;
    services& context;
    const logger& log;
    bool cluster = false;  // cluster mode: requests pass server/cluster_gate.hpp before the router
};

net::awaitable<void> run_session(tcp::socket socket, io_thread& thread, session_env env);

}  // namespace progressd
