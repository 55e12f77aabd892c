#pragma once
// The server: I/O threads, their acceptors, signals and the SIGTERM drain (docs/operations.md,
// "Draining").
//
// Life cycle: start() binds every thread's acceptor (or throws), run() serves until a signal's
// drain completes and every session has ended, then returns. The caller stops the persister
// afterwards, which flushes what is left.

#include "server/config.hpp"
#include "server/cors.hpp"
#include "server/http_session.hpp"
#include "server/io_thread.hpp"

#include <memory>
#include <string>
#include <vector>

namespace progressd {

class server {
public:
    server(const server_config& config, const router& routes, services& context, const logger& log,
           const std::vector<std::unique_ptr<thread_metrics>>& metrics);
    ~server();

    // Binds the listening sockets; returns the address actually bound ("127.0.0.1:PORT").
    std::string start();
    void run();
    // Ends serving as a second signal would: stop accepting now and finish in-flight requests.
    void request_stop();

private:
    void listen(io_thread& thread, const tcp::endpoint& endpoint);
    net::awaitable<void> accept_loop(io_thread& thread);
    net::awaitable<void> sweep_deadlines(io_thread& thread);
    void watch_signals();
    void begin_drain();
    void stop_accepting();

    const server_config& config_;
    const router& routes_;
    const cors_policy cors_;
    services& context_;
    const logger& log_;
    std::vector<std::unique_ptr<io_thread>> threads_;
    std::unique_ptr<struct signal_watch> signals_;
};

}  // namespace progressd
