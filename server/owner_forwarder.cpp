#include "server/owner_forwarder.hpp"

#include "common/http_url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace progressd {
namespace {

using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using answer_parser = http::response_parser<http::string_body>;

// Awaiting a deferred operation starts it from the suspended coroutine directly; use_awaitable
// would build a coroutine frame of its own for every operation.
constexpr auto use_tuple = net::as_tuple(net::deferred);
constexpr std::size_t first_read_bytes = 16 * 1024;
// 1xx answers before the final one (the owner is not asked for any: Expect and Upgrade are not
// forwarded); past this many the owner is misbehaving.
constexpr int max_interim_answers = 4;
constexpr std::size_t max_pooled_buffer_bytes = 64 * 1024;

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace

std::string_view to_string(forward_error error) {
    switch (error) {
        case forward_error::none: return "none";
        case forward_error::not_forwardable: return "not_forwardable";
        case forward_error::connect_failed: return "connect_failed";
        case forward_error::timed_out: return "timed_out";
        case forward_error::broken: return "broken";
    }
    return "unknown";
}

namespace {

// One connection to an owner with what a forward on it needs. Heap-allocated and kept whole in
// the pool, so the buffers' room is reused along with the socket.
struct connection {
    explicit connection(const net::any_io_executor& executor) : stream(executor) {}
    beast::tcp_stream stream;  // its timer cancels the pending operation at the deadline
    beast::flat_buffer buffer;  // the answer's bytes
    std::string request_bytes;  // the request as sent: kept for a retry on a fresh connection
    clock_type::time_point idle_since{};
};

// One owner base URL, parsed once.
struct target {
    bool usable = false;
    std::string host;
    std::string port;
    std::string authority;  // host:port, for a request that came without Host
    bool literal = false;   // host is an IP address: its endpoint never changes
    // Empty: resolve before connecting. A name's addresses are forgotten when a connect fails, so
    // an owner that came back elsewhere under the same name is found again.
    std::vector<tcp::endpoint> endpoints;
    std::vector<std::unique_ptr<connection>> idle;  // the most recently used at the back
};

target parse_target(std::string_view base_url) {
    target parsed;
    const auto url = parse_http_url(base_url);
    if (!url || url->target != "/") return parsed;  // an owner is addressed by its root, without a path or query
    parsed.usable = true;
    parsed.host = url->host;
    parsed.port = url->port;
    boost::system::error_code ec;
    const auto address = net::ip::make_address(parsed.host, ec);
    parsed.literal = !ec;
    parsed.authority = address.is_v6() && !ec ? "[" + parsed.host + "]:" + parsed.port : parsed.host + ":" + parsed.port;
    if (parsed.literal) {
        unsigned short port = 0;
        for (const char digit : parsed.port) port = static_cast<unsigned short>(port * 10 + (digit - '0'));
        parsed.endpoints.emplace_back(address, port);
    }
    return parsed;
}

enum class attempt_end {
    answered,
    failed,
    retry,  // a pooled connection failed before the owner answered a byte: try a fresh one
};

}  // namespace

struct owner_forwarder::state {
    state(net::any_io_executor io, owner_forwarder_options settings) : executor(std::move(io)), options(std::move(settings)) {}

    net::any_io_executor executor;
    const owner_forwarder_options options;
    forward_stats stats;
    // Never erased from while the forwarder lives: a forward keeps a reference to its target
    // across suspensions (unordered_map's references survive rehashing).
    std::unordered_map<std::string, target, string_hash, std::equal_to<>> targets;

    target& target_for(std::string_view base_url) {
        auto found = targets.find(base_url);
        if (found == targets.end()) found = targets.emplace(std::string(base_url), parse_target(base_url)).first;
        return found->second;
    }

    // The most recently pooled connection that has not idled past max_idle_age, or null. The pool
    // is ordered by idle time, so once the newest is too old every one is.
    std::unique_ptr<connection> take_idle(target& owner) {
        if (owner.idle.empty()) return nullptr;
        if (clock_type::now() - owner.idle.back()->idle_since > options.max_idle_age) {
            owner.idle.clear();
            return nullptr;
        }
        auto taken = std::move(owner.idle.back());
        owner.idle.pop_back();
        return taken;
    }

    // Only a connection whose answer ended cleanly and that both sides keep alive comes back; a
    // full pool drops its oldest, the likeliest to have been closed by the owner.
    void give_back(target& owner, std::unique_ptr<connection> used) {
        if (options.max_idle_per_target == 0) return;
        used->stream.expires_never();
        used->idle_since = clock_type::now();
        // A pooled connection keeps the room its buffers grew to, except after a large exchange
        // (an import, a download): sixteen idle connections should not each hold megabytes.
        if (used->request_bytes.capacity() > max_pooled_buffer_bytes) std::string().swap(used->request_bytes);
        if (used->buffer.capacity() > max_pooled_buffer_bytes) used->buffer.shrink_to_fit();  // empty: frees it all
        if (owner.idle.size() >= options.max_idle_per_target) owner.idle.erase(owner.idle.begin());
        owner.idle.push_back(std::move(used));
    }

    net::awaitable<boost::system::error_code> connect(target& owner, connection& fresh, clock_type::time_point deadline) {
        if (owner.endpoints.empty()) {
            tcp::resolver resolver(executor);
            auto [ec, results] = co_await resolver.async_resolve(owner.host, owner.port, use_tuple);
            if (ec) co_return ec;
            owner.endpoints.clear();
            for (const auto& entry : results) owner.endpoints.push_back(entry.endpoint());
        }
        // A copy: another forward to this owner may forget the shared list while this one connects.
        const std::vector<tcp::endpoint> endpoints = owner.endpoints;
        fresh.stream.expires_at(std::min(clock_type::now() + options.connect_timeout, deadline));
        // One address after the other, in the resolver's order, under one deadline (Beast's range
        // connect would do the same, but does not take a deferred completion token).
        boost::system::error_code ec = net::error::host_not_found;
        for (const auto& endpoint : endpoints) {
            std::tie(ec) = co_await fresh.stream.async_connect(endpoint, use_tuple);
            if (!ec || ec == beast::error::timeout) break;
            boost::system::error_code ignored;
            fresh.stream.socket().close(ignored);  // the next address may be of the other family
        }
        if (ec && !owner.literal) owner.endpoints.clear();
        if (ec) co_return ec;
        ++stats.connections_opened;
        // A request larger than a segment leaves in several; Nagle would hold its last one back
        // until the owner acknowledged the others, which a delayed ACK makes up to 40 ms.
        boost::system::error_code ignored;
        fresh.stream.socket().set_option(tcp::no_delay(true), ignored);
        co_return ec;
    }

    static attempt_end fail(forward_outcome& outcome, forward_error error, boost::system::error_code cause) {
        outcome.error = cause == beast::error::timeout ? forward_error::timed_out : error;
        outcome.cause = cause;
        return attempt_end::failed;
    }

    // One send and read on `link`, connecting it first unless it came from the pool. On `answered`
    // the answer is in `outcome` and `keep` says whether the connection may serve again.
    net::awaitable<attempt_end> exchange(target& owner, connection& link, bool reused, bool head,
                                         clock_type::time_point deadline, forward_outcome& outcome, bool& keep) {
        if (!reused) {
            const auto ec = co_await connect(owner, link, deadline);
            if (ec) co_return fail(outcome, forward_error::connect_failed, ec);
        }
        link.stream.expires_at(deadline);
        outcome.sent = true;
        const auto [write_ec, written] = co_await net::async_write(link.stream, net::buffer(link.request_bytes), use_tuple);
        // An owner that closed the idle connection shows here or at the first read; after a
        // timeout the owner may be working on the request, so that is never retried.
        const bool may_retry = reused && write_ec != beast::error::timeout;
        if (write_ec) co_return may_retry ? attempt_end::retry : fail(outcome, forward_error::broken, write_ec);

        link.buffer.clear();
        const auto [read_ec, bytes] = co_await link.stream.async_read_some(link.buffer.prepare(first_read_bytes), use_tuple);
        if (read_ec) {
            const bool retry = reused && read_ec != beast::error::timeout;
            co_return retry ? attempt_end::retry : fail(outcome, forward_error::broken, read_ec);
        }
        link.buffer.commit(bytes);

        std::optional<answer_parser> parser;
        for (int interim = 0;; ++interim) {
            parser.emplace();
            parser->header_limit(static_cast<std::uint32_t>(options.max_answer_header_bytes));
            parser->body_limit(options.max_answer_body_bytes);
            parser->skip(head);  // a HEAD answer's Content-Length describes its GET's body, not one sent
            const auto [ec, read] = co_await http::async_read(link.stream, link.buffer, *parser, use_tuple);
            if (ec) co_return fail(outcome, forward_error::broken, ec);
            const unsigned status = parser->get().result_int();
            if (status >= 200 || interim == max_interim_answers) break;
        }
        const unsigned status = parser->get().result_int();
        if (status < 200) co_return fail(outcome, forward_error::broken, http::error::bad_status);
        keep = parser->keep_alive() && link.buffer.size() == 0;
        outcome.answer = parser->release();
        co_return attempt_end::answered;
    }
};

owner_forwarder::owner_forwarder(net::any_io_executor executor, owner_forwarder_options options)
    : state_(std::make_unique<state>(std::move(executor), std::move(options))) {}

owner_forwarder::~owner_forwarder() = default;

const forward_stats& owner_forwarder::stats() const { return state_->stats; }

std::size_t owner_forwarder::idle_connections() const {
    std::size_t count = 0;
    for (const auto& [url, owner] : state_->targets) count += owner.idle.size();
    return count;
}

void owner_forwarder::close_idle() {
    for (auto& [url, owner] : state_->targets) owner.idle.clear();
}

net::awaitable<forward_outcome> owner_forwarder::forward(const http_request& request, std::string_view base_url) {
    auto& s = *state_;
    forward_outcome outcome;
    target& owner = s.target_for(base_url);
    if (!owner.usable || request.method() == http::verb::unknown) {
        ++s.stats.failed;
        outcome.error = forward_error::not_forwardable;
        co_return outcome;
    }
    const auto deadline = clock_type::now() + s.options.exchange_timeout;
    auto link = s.take_idle(owner);
    bool reused = link != nullptr;
    if (!link) link = std::make_unique<connection>(s.executor);
    if (reused) ++s.stats.connections_reused;
    // Before any suspension: from here on the request's bytes are the forward's own.
    serialize_forward_request(request, owner.authority, s.options.node_id, link->request_bytes);
    const bool head = request.method() == http::verb::head;

    bool keep = false;
    auto end = co_await s.exchange(owner, *link, reused, head, deadline, outcome, keep);
    if (end == attempt_end::retry) {
        ++s.stats.retried;
        auto fresh = std::make_unique<connection>(s.executor);
        fresh->request_bytes.swap(link->request_bytes);
        link = std::move(fresh);
        outcome.sent = false;
        end = co_await s.exchange(owner, *link, false, head, deadline, outcome, keep);
    }
    if (end == attempt_end::answered) {
        ++s.stats.forwarded;
        if (keep) s.give_back(owner, std::move(link));
    } else {
        ++s.stats.failed;
    }
    co_return outcome;
}

}  // namespace progressd
