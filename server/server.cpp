#include "server/server.hpp"

#include "app/cluster_backend.hpp"

#include "handlers/services.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <thread>

namespace progressd {

struct signal_watch {
    explicit signal_watch(net::io_context& io) : signals(io, SIGTERM, SIGINT), drain_timer(io) {}
    net::signal_set signals;
    net::steady_timer drain_timer;
    bool draining = false;
    deadline_clock::time_point drain_started{};
};

namespace {

using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr int listen_backlog = 4096;
constexpr auto sweep_interval = std::chrono::milliseconds(250);

// The one place where an unexpected exception from a coroutine ends up.
auto log_failure(const logger& log, std::string_view what) {
    return [&log, what](std::exception_ptr failure) {
        if (!failure) return;
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& error) {
            log.error("coroutine_failed", {{"where", what}, {"error", std::string_view(error.what())}});
        }
    };
}

}  // namespace

server::server(const server_config& config, const router& routes, services& context, const logger& log,
               const std::vector<std::unique_ptr<thread_metrics>>& metrics)
    : config_(config), routes_(routes), cors_(config.cors_allow_origins), context_(context), log_(log) {
    for (unsigned i = 0; i < config.threads; ++i) threads_.push_back(std::make_unique<io_thread>(*metrics[i], context.data.persister()));
    signals_ = std::make_unique<signal_watch>(threads_.front()->io);
    if (config.agent_enabled) agent_ = std::make_unique<agent_check>(threads_.front()->io, context.status, log);
}

server::~server() = default;

void server::listen(io_thread& thread, const tcp::endpoint& endpoint) {
    auto& acceptor = thread.acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.set_option(reuse_port(true));
    acceptor.bind(endpoint);
    acceptor.listen(listen_backlog);
}

std::string server::start() {
    net::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    auto endpoint = resolver.resolve(config_.listen_host, std::to_string(config_.listen_port)).begin()->endpoint();
    // The first acceptor resolves port 0 to a real port; the others join it there.
    listen(*threads_.front(), endpoint);
    endpoint = threads_.front()->acceptor.local_endpoint();
    for (std::size_t i = 1; i < threads_.size(); ++i) listen(*threads_[i], endpoint);
    if (agent_) agent_address_ = agent_->start(config_.agent_host, config_.agent_port);
    return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

net::awaitable<void> server::accept_loop(io_thread& thread) {
    auto* cluster = context_.data.cluster();
    // Built here, not with the thread: the node's id is final only once the server listens.
    if (cluster != nullptr) thread.forwarder.emplace(thread.io.get_executor(), owner_forwarder_options{.node_id = cluster->node_id()});
    const session_env env{config_, routes_, cors_, context_, log_, cluster != nullptr};
    net::steady_timer backoff(thread.io);
    for (;;) {
        auto [ec, socket] = co_await thread.acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec == net::error::operation_aborted || thread.stopping) co_return;
        if (ec) {
            // Out of file descriptors or similar: pause instead of spinning on the error.
            log_.warn("accept_failed", {{"error", std::string_view(ec.message())}});
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        if (context_.status.connections.fetch_add(1, std::memory_order_relaxed) >= std::int64_t(config_.max_connections)) {
            context_.status.connections.fetch_sub(1, std::memory_order_relaxed);
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        net::co_spawn(thread.io, run_session(std::move(socket), thread, env), log_failure(log_, "session"));
    }
}

// Cancels the pending I/O of every session past its deadline; the session sees the cancelled
// operation as a timeout (see session_slot). Runs until the thread stops and its last session
// has ended, so a client that stops reading cannot hold up shutdown.
net::awaitable<void> server::sweep_deadlines(io_thread& thread) {
    for (;;) {
        thread.sweeper.expires_after(sweep_interval);
        auto [ec] = co_await thread.sweeper.async_wait(net::as_tuple(net::use_awaitable));
        if (ec || (thread.stopping && thread.sessions.empty())) co_return;
        const auto now = deadline_clock::now();
        for (auto& session : thread.sessions) {
            if (session.deadline >= now) continue;
            session.timed_out = true;
            boost::system::error_code ignored;
            session.socket->cancel(ignored);
        }
    }
}

void server::watch_signals() {
    signals_->signals.async_wait([this](const boost::system::error_code& ec, int signal_number) {
        if (ec) return;
        log_.info("signal", {{"signal", std::int64_t{signal_number}},
                             {"drain_seconds", std::int64_t(config_.drain.count())},
                             {"drain_max_seconds", std::int64_t(config_.drain_max.count())}});
        if (signals_->draining) {
            stop_accepting();  // a second signal skips the rest of the drain
            return;
        }
        begin_drain();
        watch_signals();
    });
}

// The drain (docs/operations.md, "Draining"): readiness and the agent say 503 / "drain" from now
// on, and the server goes on serving, for at least --drain-seconds, then for as long as API
// requests still arrive. A fixed period alone is a guess about the balancer: HAProxy's defaults
// believe a failed readiness check only after 3 × 2 s, and a node that stopped before that had
// requests sent to a closed port. Requests still arriving mean someone still routes here; a quiet
// period without any means the balancers have let go. --drain-max-seconds bounds it all, for a
// client that talks to the node directly and never stops.
void server::begin_drain() {
    signals_->draining = true;
    signals_->drain_started = deadline_clock::now();
    context_.status.last_api_request_ms.store(0, std::memory_order_relaxed);
    context_.status.draining.store(true, std::memory_order_release);
    drain_for(config_.drain);
}

void server::drain_for(deadline_clock::duration period) {
    signals_->drain_timer.expires_after(period);
    signals_->drain_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) end_drain_when_quiet();
    });
}

void server::end_drain_when_quiet() {
    const auto now = deadline_clock::now();
    const auto cap = signals_->drain_started + config_.drain_max;
    const std::int64_t last_ms = context_.status.last_api_request_ms.load(std::memory_order_relaxed);
    const auto quiet_at = deadline_clock::time_point(std::chrono::milliseconds(last_ms)) + config_.drain_quiet;
    const bool quiet = last_ms == 0 || now >= quiet_at;
    if (quiet || now >= cap) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - signals_->drain_started);
        log_.info("drain_ended", {{"reason", quiet ? "quiet" : "drain_max_seconds"}, {"drain_ms", std::int64_t(elapsed.count())}});
        stop_accepting();
        return;
    }
    drain_for(std::min(quiet_at, cap) - now);
}

void server::stop_accepting() {
    boost::system::error_code ignored;
    signals_->signals.cancel(ignored);
    signals_->drain_timer.cancel();
    if (agent_) agent_->stop();  // on the first thread, as this is
    for (auto& thread : threads_) {
        net::post(thread->io, [&thread = *thread] {
            thread.stopping = true;
            boost::system::error_code ignored_close;
            thread.acceptor.close(ignored_close);
            thread.load.open();  // requests held while loading are answered (503) rather than kept
            // Sessions waiting on their client end now; those handling a request finish it.
            for (auto& session : thread.sessions) {
                if (session.awaiting_client) session.socket->cancel(ignored_close);
            }
        });
    }
}

void server::request_stop() {
    net::post(threads_.front()->io, [this] { stop_accepting(); });
}

void server::store_loaded() {
    for (auto& thread : threads_) {
        net::post(thread->io, [&thread = *thread] { thread.load.open(); });
    }
}

void server::run() {
    for (auto& thread : threads_) {
        net::co_spawn(thread->io, accept_loop(*thread), log_failure(log_, "accept"));
        net::co_spawn(thread->io, sweep_deadlines(*thread), log_failure(log_, "sweep"));
    }
    if (agent_) net::co_spawn(threads_.front()->io, agent_->serve(), log_failure(log_, "agent"));
    watch_signals();
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < threads_.size(); ++i) {
        workers.emplace_back([&io = threads_[i]->io] { io.run(); });
    }
    threads_.front()->io.run();
    for (auto& worker : workers) worker.join();
}

}  // namespace progressd
