#pragma once
// The server: I/O threads, their acceptors, signals and the SIGTERM drain (docs/operations.md,
// "Draining").
//
// Life cycle: start() binds every thread's acceptor and the agent's (or throws), run() serves
// until a signal's drain completes and every session has ended, then returns. The caller stops
// the persister afterwards, which flushes what is left.

#include "server/agent_check.hpp"
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
    // The agent-check address bound by start() (--agent-listen), empty when off.
    const std::string& agent_address() const { return agent_address_; }
    void run();
    // Ends serving as a second signal would: stop accepting now and finish in-flight requests.
    void request_stop();
    // The store has loaded: API requests held meanwhile go on (server/load_gate.hpp). Any thread.
    void store_loaded();

private:
    void listen(io_thread& thread, const tcp::endpoint& endpoint);
    net::awaitable<void> accept_loop(io_thread& thread);
    net::awaitable<void> sweep_deadlines(io_thread& thread);
    void watch_signals();
    void begin_drain();
    void drain_for(deadline_clock::duration period);
    void end_drain_when_quiet();
    void stop_accepting();

    const server_config& config_;
    const router& routes_;
    const cors_policy cors_;
    services& context_;
    const logger& log_;
    std::vector<std::unique_ptr<io_thread>> threads_;
    std::unique_ptr<struct signal_watch> signals_;
    std::unique_ptr<agent_check> agent_;  // --agent-listen; on the first thread
    std::string agent_address_;
};

}  // namespace progressd
