#include "server/webhook_sender.hpp"

#include "common/clock.hpp"
#include "common/http_url.hpp"
#include "handlers/json/webhook_payload.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <thread>

namespace progressd {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::size_t max_answer_bytes = 64 * 1024;  // receivers' answers are read, then ignored

struct attempt_result {
    bool delivered = false;
    std::string error;  // why not, for the log and the deactivation reason
};

// One POST. Errors come back as values: a receiver being down is the normal case here.
net::awaitable<attempt_result> post_once(const http_target& target, const store::webhook& hook,
                                         const store::progress_event& event, std::chrono::milliseconds timeout) {
    auto executor = co_await net::this_coro::executor;
    const std::string body = webhook_body(event);

    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(target.host, target.port, net::as_tuple(net::use_awaitable));
    if (resolve_ec) co_return attempt_result{false, "resolve: " + resolve_ec.message()};

    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);  // one deadline for the whole attempt
    auto [connect_ec, connected] = co_await stream.async_connect(endpoints, net::as_tuple(net::use_awaitable));
    if (connect_ec) co_return attempt_result{false, "connect: " + connect_ec.message()};

    http::request<http::string_body> request{http::verb::post, target.target, 11};
    request.set(http::field::host, target.port == "80" ? target.host : target.host + ":" + target.port);
    request.set(http::field::content_type, "application/json");
    const auto now_s = wall_clock_ms() / 1000;
    for (auto& [name, value] : webhook_headers(hook, event, body, now_s)) request.set(name, value);
    request.set(http::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(stream, request, net::as_tuple(net::use_awaitable));
    if (write_ec) co_return attempt_result{false, "send: " + write_ec.message()};

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> answer;
    answer.body_limit(max_answer_bytes);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, answer, net::as_tuple(net::use_awaitable));
    if (read_ec && read_ec != http::error::body_limit) co_return attempt_result{false, "answer: " + read_ec.message()};
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const unsigned status = answer.get().result_int();
    if (status >= 200 && status < 300) co_return attempt_result{true, {}};
    co_return attempt_result{false, "HTTP " + std::to_string(status)};
}

}  // namespace

struct webhook_sender::state {
    state(store::webhook_registry& hooks, store::event_outbox& box, const app::write_behind& writer, const logger& logger,
          webhook_sender_options settings)
        : webhooks(hooks), outbox(box), persister(writer), log(logger), options(settings) {}

    store::webhook_registry& webhooks;
    store::event_outbox& outbox;
    const app::write_behind& persister;
    const logger& log;
    const webhook_sender_options options;
    net::io_context io{1};
    std::thread thread;
    std::size_t in_flight = 0;  // sender thread only

    net::awaitable<void> poll() {
        net::steady_timer timer(io);
        for (;;) {
            timer.expires_after(options.poll_interval);
            co_await timer.async_wait(net::use_awaitable);
            if (in_flight >= options.max_in_flight) continue;
            const auto durable = persister.durable_generation();
            for (auto& due : outbox.take_due(wall_clock_ms(), durable, options.max_in_flight - in_flight)) {
                ++in_flight;
                const std::string key = due.key;
                // Errors are values inside deliver(); this catches the unexpected (an allocation
                // failure), so the delivery is retried instead of staying in flight for good.
                net::co_spawn(io, deliver(std::move(due)), [this, key](std::exception_ptr error) {
                    --in_flight;
                    if (!error) return;
                    outbox.finish(key, store::delivery_outcome::failed, wall_clock_ms(), "internal error");
                    log.error("webhook_delivery_crashed", {{"key", std::string_view(key)}});
                });
            }
        }
    }

    net::awaitable<void> deliver(store::event_outbox::due_delivery due) {
        const auto hook = webhooks.find(due.value.webhook_id);
        const auto target = hook ? parse_http_url(hook->target_url) : std::nullopt;
        if (!hook || !hook->active || !target) {
            outbox.finish(due.key, store::delivery_outcome::abandoned, wall_clock_ms());
            co_return;
        }
        const auto result = co_await post_once(*target, *hook, due.value.event, options.attempt_timeout);
        const auto type = store::event_type_name(due.value.event.type);
        if (result.delivered) {
            outbox.finish(due.key, store::delivery_outcome::delivered, wall_clock_ms());
            log.write(log_level::debug, "webhook_delivered", {{"webhook_id", std::string_view(hook->id)},
                                                              {"event_id", std::string_view(due.value.event.id)},
                                                              {"event_type", type}});
            co_return;
        }
        const bool last = outbox.finish(due.key, store::delivery_outcome::failed, wall_clock_ms(), result.error);
        log.warn("webhook_delivery_failed", {{"webhook_id", std::string_view(hook->id)},
                                             {"event_id", std::string_view(due.value.event.id)},
                                             {"event_type", type},
                                             {"attempt", std::int64_t(due.value.attempts + 1)},
                                             {"error", std::string_view(result.error)},
                                             {"deactivated", last}});
        if (last) deactivate(hook->id, due.value.attempts + 1, result.error);
    }

    void deactivate(const std::string& id, std::uint32_t attempts, const std::string& error) {
        webhooks.update(id, [&](store::webhook& hook) {
            hook.active = false;
            hook.deactivate_reason = "Delivery failed " + std::to_string(attempts) + " times; last error: " + error;
        });
        outbox.drop_webhook(id);
    }
};

webhook_sender::webhook_sender(store::webhook_registry& webhooks, store::event_outbox& outbox,
                               const app::write_behind& persister, const logger& log, webhook_sender_options options)
    : state_(std::make_unique<state>(webhooks, outbox, persister, log, options)) {}

webhook_sender::~webhook_sender() { stop(); }

void webhook_sender::start() {
    net::co_spawn(state_->io, state_->poll(), net::detached);
    state_->thread = std::thread([this] { state_->io.run(); });
}

void webhook_sender::stop() {
    state_->io.stop();
    if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace progressd
