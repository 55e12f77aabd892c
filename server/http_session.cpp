#include "server/http_session.hpp"

#include "common/clock.hpp"
#include "handlers/router.hpp"
#include "handlers/services.hpp"
#include "server/cluster_gate.hpp"
#include "server/cors.hpp"
#include "server/request_head.hpp"
#include "server/response_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>
#include <tuple>

namespace progressd {
namespace {

// Awaiting a deferred operation starts it from the suspended coroutine directly; use_awaitable
// would build a coroutine frame of its own for every operation.
constexpr auto use_tuple = net::as_tuple(net::deferred);
constexpr std::size_t first_read_bytes = 4096;

// Keeps the session's slot in its thread's list exactly as long as the session runs.
class registration {
public:
    registration(io_thread& thread, tcp::socket& socket, server_status& status) : thread_(thread), status_(status) {
        slot_ = thread.sessions.insert(thread.sessions.end(), session_slot{&socket, true});
        thread.context.metrics.connection_opened();
    }
    ~registration() {
        thread_.sessions.erase(slot_);
        thread_.context.metrics.connection_closed();
        status_.connections.fetch_sub(1, std::memory_order_relaxed);
    }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
    void awaiting_client(bool value) { slot_->awaiting_client = value; }
    void expires_at(deadline_clock::time_point deadline) {
        slot_->deadline = deadline;
        slot_->timed_out = false;
    }
    void expires_after(deadline_clock::duration timeout) { expires_at(deadline_clock::now() + timeout); }
    void no_deadline() { slot_->deadline = deadline_clock::time_point::max(); }
    // A cancelled operation is a timeout when the sweeper did it, otherwise a shutdown.
    boost::system::error_code classify(boost::system::error_code ec) const {
        return ec == net::error::operation_aborted && slot_->timed_out ? beast::error::timeout : ec;
    }

private:
    io_thread& thread_;
    server_status& status_;
    std::list<session_slot>::iterator slot_;
};

// Maps a failed read to the answer the client should still get, if any.
std::optional<api_error> read_failure(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit) {
        return api_error{error_code::headers_too_large, "request headers exceed the limit", {}, {}};
    }
    if (ec == http::error::body_limit) {
        return api_error{error_code::body_too_large, "request body exceeds the limit", {}, {}};
    }
    if (ec == beast::error::timeout) {
        return api_error{error_code::request_timeout, "the request did not arrive in time", {}, {}};
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return api_error{error_code::malformed_json, "malformed HTTP request: " + ec.message(), {}, {}};
    }
    return std::nullopt;  // the peer went away: nobody to answer
}

using request_parser = http::request_parser<http::string_body>;

// Reads the request at the front of the buffer without Beast's parser when it is whole and inside
// request_head's subset (nearly every ping: one segment, plain fields, a Content-Length body).
// Returns the bytes it takes, 0 when it declines: then everything stays for Beast's parser, which
// enforces every limit and answers every error; this path never refuses a request. `out` views
// the buffer, so the caller consumes those bytes only once the request is answered.
// `head` is scratch space the session keeps, as it keeps `out`: both hold arrays of field slots
// that need no clearing between requests.
std::size_t take_simple_request(const beast::flat_buffer& buffer, const session_env& env, simple_head& head,
                                http_request& out) {
    const auto data = buffer.data();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    if (!scan_request_head(bytes, env.config.max_header_bytes, head)) return 0;
    // A route's limit is never below the base limit, so a body within it needs no route lookup.
    if (head.content_length > env.config.max_body_bytes &&
        head.content_length > env.routes.body_limit_for(head.method, head.target, env.config.max_body_bytes)) {
        return 0;  // Beast's path answers 413
    }
    if (bytes.size() - head.head_bytes < head.content_length) return 0;  // the rest is still on its way
    build_request(head, bytes.substr(head.head_bytes, head.content_length), out);
    return head.head_bytes + head.content_length;
}

// Feeds buffered bytes to the parser, reading from the socket only when it needs more, until the
// header (or the whole message) is parsed. The same steps as Beast's async_read, without its
// composed-operation layers: one coroutine suspension per socket read, none when the buffer
// already holds the request (the common case: a ping arrives in one segment).
net::awaitable<boost::system::error_code> read_request(tcp::socket& socket, beast::flat_buffer& buffer,
                                                       request_parser& parser, bool header_only) {
    constexpr std::size_t read_chunk = 16 * 1024;
    for (;;) {
        if (buffer.size() > 0) {
            boost::system::error_code ec;
            const std::size_t used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (ec && ec != http::error::need_more) co_return ec;
            if (header_only ? parser.is_header_done() : parser.is_done()) co_return boost::system::error_code{};
            if (used > 0 && buffer.size() > 0) continue;
        }
        auto [ec, bytes] = co_await socket.async_read_some(buffer.prepare(read_chunk), use_tuple);
        if (ec == net::error::eof) {
            if (!parser.got_some()) co_return http::error::end_of_stream;
            boost::system::error_code eof_ec;
            parser.put_eof(eof_ec);
            co_return eof_ec ? eof_ec : boost::system::error_code(http::error::partial_message);
        }
        if (ec) co_return ec;
        buffer.commit(bytes);
    }
}

enum class read_state {
    ready,    // the request is in `request`
    waiting,  // the fast path cannot read it: the slow one must
    closed,   // the connection is to close: the client left, a deadline passed, the server stops
};

// One connection's state between requests, with its steps that never suspend; those that may are
// the coroutines below. Lives in run_session's frame, so its members outlive every operation they
// start.
struct connection {
    connection(tcp::socket& client, io_thread& owner, const session_env& environment)
        : socket(client), thread(owner), env(environment), registered(owner, client, environment.context.status) {}

    // The read_some of the idle wait must never block the thread: a socket that cannot be made
    // non-blocking is not served.
    bool make_non_blocking() {
        boost::system::error_code ec;
        socket.non_blocking(true, ec);
        return !ec;
    }

    // The fast read path: the next request when it is whole in the buffer, or arrives whole from
    // one non-blocking read, without suspending; `waiting` hands over to read_slowly.
    read_state read_buffered() {
        registered.awaiting_client(true);
        if (thread.stopping) return read_state::closed;
        if (buffer.size() == 0) {
            registered.expires_at(answered + env.config.idle_timeout);
            // A busy client's next request is usually here already: the previous answer's write
            // completed through the scheduler's queue, which gave the client time to send it. So
            // one non-blocking read first, and the asynchronous read (epoll) only when it finds
            // nothing. Not the other way round for the write: sending at once and reading straight
            // after would mostly find nothing, a wasted recv per request (bench/RESULTS.md, "Figures
            // behind design choices").
            boost::system::error_code ec;
            const std::size_t bytes = socket.read_some(buffer.prepare(first_read_bytes), ec);
            if (ec == net::error::would_block) return read_state::waiting;
            if (ec) return read_state::closed;
            buffer.commit(bytes);
        }
        return take_buffered();
    }

    // The request starts with its first bytes: from here the request deadline runs, not the idle
    // one, so a slow client cannot stretch a request over the idle allowance.
    read_state take_buffered() {
        started = deadline_clock::now();
        registered.expires_at(started + env.config.request_timeout);
        taken = take_simple_request(buffer, env, head, request);
        if (taken == 0) return read_state::waiting;  // not whole, or not simple: Beast's parser
        request_read();
        return read_state::ready;
    }

    // The request has been read: handling (and waiting for durability) is on us, not the client.
    void request_read() {
        registered.awaiting_client(false);
        registered.no_deadline();
    }

    dispatch_result dispatch() {
        if (env.cors.enabled()) return dispatch_cross_origin();
        return env.routes.dispatch(request, thread.context, wall_clock_ms());
    }

    // Cluster mode: an answer the gate gave instead of the router (a forwarded reply, a 503).
    dispatch_result gate_answer(gate_result& gate) {
        if (env.cors.enabled() && !gate.forwarded) cors_origin = env.cors.allowed(request[http::field::origin]);
        forwarded = gate.forwarded;
        return {{std::move(gate.answer)}, env.routes.route_count() - 1};
    }

    // CORS on: the answer names the request's origin when it is allowed, and preflights are
    // answered here rather than by the router, whose 405 would fail them.
    dispatch_result dispatch_cross_origin() {
        cors_origin = env.cors.allowed(request[http::field::origin]);
        if (!cors_policy::is_preflight(request)) return env.routes.dispatch(request, thread.context, wall_clock_ms());
        const std::size_t unmatched = env.routes.route_count() - 1;
        if (cors_origin.empty()) {
            const api_error refused{error_code::forbidden, "this origin is not in --cors-allow-origins", {}, {}};
            return {{env.routes.error_for(request.target(), refused)}, unmatched};
        }
        const std::string methods = env.routes.allowed_methods(split_target(request.target()).first);
        // No route there: the router's 404, in the family's format, as for any other method.
        if (methods.empty()) return env.routes.dispatch(request, thread.context, wall_clock_ms());
        return {{cors_policy::preflight(methods)}, unmatched};
    }

    // Serializes the answer into `output` and frees the request's bytes; whether to keep the
    // connection open after writing it.
    bool prepare_answer(const dispatch_result& dispatched) {
        const http_response& response = dispatched.result.response;
        const bool signalled = env.context.status.draining.load(std::memory_order_relaxed);
        const bool draining = signalled || thread.stopping;
        answered = deadline_clock::now();
        // The drain lasts while API requests still come (server.cpp, end_drain_when_quiet).
        if (signalled && !is_probe_target(request.target())) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(answered.time_since_epoch());
            env.context.status.last_api_request_ms.store(ms.count(), std::memory_order_relaxed);
        }
        // A forwarded reply is the owner's as it came: the owner wrote its CORS fields.
        const response_framing framing{request.version(), request.keep_alive() && !draining,
                                       request.method() == http::verb::head, env.cors.enabled() && !forwarded,
                                       forwarded ? std::string_view{} : cors_origin};
        const double seconds = std::chrono::duration<double>(answered - started).count();
        thread.context.metrics.record(dispatched.route, response.result_int(), seconds);
        serialize_response(response, framing, output);
        // The fast path's request viewed the buffer up to here; the next read may reuse it.
        buffer.consume(taken);
        registered.expires_at(answered + env.config.request_timeout);
        forwarded = false;
        cors_origin = {};
        return framing.keep_alive;
    }

    auto write_answer() { return net::async_write(socket, net::buffer(output), use_tuple); }

    void close() {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
    }

    tcp::socket& socket;
    io_thread& thread;
    const session_env& env;
    registration registered;
    beast::flat_buffer buffer;
    std::string output;
    // Clock readings are shared where moments coincide (a ping costs three, not six): the end of
    // one answer starts the idle wait, the bytes arriving start the request and its timing.
    deadline_clock::time_point answered = deadline_clock::now();
    deadline_clock::time_point started{};
    std::size_t taken = 0;  // bytes of `buffer` the fast path's request views
    std::string_view cors_origin;  // the request's Origin when CORS allows it (it views the request)
    bool forwarded = false;        // the answer is the owner's (cluster mode)
    // Kept across requests rather than made for each: all three hold room (field slots, a field
    // tree) that a request reuses instead of clearing or building anew.
    simple_head head;      // scratch for the fast path's scan
    http_request request;  // the request being answered
    beast_request parsed;  // what `request` views when Beast's parser read it
};

// What the client still gets for a request it got wrong (too large, too slow, malformed) before
// the connection closes; nothing when the peer went away.
net::awaitable<void> answer_read_failure(connection& c, boost::system::error_code ec, const request_parser& parser) {
    auto failure = read_failure(ec);
    if (!failure || c.thread.stopping) co_return;
    const bool header = parser.is_header_done();
    const std::string_view target = header ? std::string_view(parser.get().target()) : std::string_view("/");
    // A page is told why its upload failed (413) only if the answer names its origin.
    const std::string_view origin = header ? c.env.cors.allowed(parser.get()[http::field::origin]) : std::string_view{};
    const response_framing framing{
        .version = 11, .keep_alive = false, .vary_origin = c.env.cors.enabled(), .cors_origin = origin};
    serialize_response(c.env.routes.error_for(target, *failure), framing, c.output);
    c.registered.expires_after(std::chrono::seconds(1));
    co_await net::async_write(c.socket, net::buffer(c.output), use_tuple);
}

// The general path, through Beast's parser: every limit enforced, every error answered.
net::awaitable<bool> read_with_parser(connection& c) {
    const auto& config = c.env.config;
    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    auto ec = c.registered.classify(co_await read_request(c.socket, c.buffer, parser, true));
    if (!ec) {
        // Beast checks Content-Length against the body limit while parsing the header, before the
        // route is known; so the route's limit is checked here and kept for chunked bodies.
        const auto& header = parser.get();
        const auto limit = c.env.routes.body_limit_for(header.method(), header.target(), config.max_body_bytes);
        parser.body_limit(limit);
        if (parser.content_length().value_or(0) > limit) ec = http::error::body_limit;
        // A Transfer-Encoding that does not end in chunked leaves the body's length unknown;
        // reading on would take the body for the next request (RFC 9112 §6.3: 400 and close).
        if (header.count(http::field::transfer_encoding) != 0 && !parser.chunked()) {
            ec = http::error::bad_transfer_encoding;
        }
    }
    if (!ec && !parser.is_done()) ec = c.registered.classify(co_await read_request(c.socket, c.buffer, parser, false));
    if (ec) {
        co_await answer_read_failure(c, ec, parser);
        co_return false;
    }
    c.parsed = parser.release();
    c.request = http_request::view_of(c.parsed);
    c.started = deadline_clock::now();  // handling starts once the body is in
    co_return true;
}

// The slow read path: waits (under the idle deadline) for a request that has not arrived, and
// reads through Beast's parser one that the fast path declined.
net::awaitable<read_state> read_slowly(connection& c) {
    if (c.buffer.size() == 0) {
        auto [ec, bytes] = co_await c.socket.async_read_some(c.buffer.prepare(first_read_bytes), use_tuple);
        if (ec) co_return read_state::closed;
        c.buffer.commit(bytes);
        if (c.take_buffered() == read_state::ready) co_return read_state::ready;
    }
    const bool parsed = co_await read_with_parser(c);
    if (!parsed) co_return read_state::closed;
    c.request_read();
    co_return read_state::ready;
}

}  // namespace

// Read, dispatch, write, while keep-alive holds: the shape of Beast's own server examples.
net::awaitable<void> run_session(tcp::socket socket, io_thread& thread, session_env env) {
    connection session(socket, thread, env);
    if (!session.make_non_blocking()) co_return;
    for (;;) {
        auto state = session.read_buffered();
        // Never `if (co_await …)`: GCC 12 miscompiles a co_await inside a condition.
        if (state == read_state::waiting) state = co_await read_slowly(session);
        if (state == read_state::closed) break;
        // While the store loads, an API request waits for it (bounded: server/load_gate.hpp).
        if (!thread.load.is_open() && env.config.load_hold.count() > 0 && !is_probe_target(session.request.target())) {
            co_await thread.load.wait(env.config.load_hold);
        }
        dispatch_result dispatched;
        if (env.cluster) {
            auto gate = co_await pass_cluster_gate(session.request, thread, env);
            dispatched = gate.dispatch ? session.dispatch() : session.gate_answer(gate);
        } else {
            dispatched = session.dispatch();
        }
        auto& result = dispatched.result;
        if (result.durable_generation != 0) {
            const bool committed = co_await thread.durable.async_wait(result.durable_generation, net::deferred);
            if (!committed) result.response = result.not_durable();
        }
        const bool keep_alive = session.prepare_answer(dispatched);
        const auto [ec, written] = co_await session.write_answer();
        if (ec || !keep_alive) break;
    }
    session.close();
}

}  // namespace progressd
