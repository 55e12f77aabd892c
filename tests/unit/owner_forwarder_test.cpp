#include "server/owner_forwarder.hpp"

#include "scripted_http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using progressd::forward_error;
using progressd::forward_outcome;
using progressd::http_request;
using progressd::owner_forwarder;
using progressd::owner_forwarder_options;
using progressd::testing::plain_answer;
using progressd::testing::scripted_http_server;
using progressd::testing::scripted_reply;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

owner_forwarder_options options_for_tests() {
    owner_forwarder_options options;
    options.node_id = "node-a";
    options.exchange_timeout = 3s;  // no test waits on it but the timeout's, which sets its own
    return options;
}

// Runs `forwards` on `io` until it returns, the servers running beside it; fails the test rather
// than hang when it never does.
template <class Result>
Result run(net::io_context& io, net::awaitable<Result> forwards) {
    std::optional<Result> result;
    std::exception_ptr error;
    net::co_spawn(io, std::move(forwards), [&](std::exception_ptr e, Result value) {
        error = e;
        result = std::move(value);
        io.stop();
    });
    net::steady_timer guard(io, 20s);
    guard.async_wait([&](boost::system::error_code ec) {
        if (!ec) io.stop();
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    BOOST_REQUIRE_MESSAGE(result.has_value(), "the forwards did not finish within 20 s");
    return std::move(*result);
}

forward_outcome forward_one(net::io_context& io, owner_forwarder& forwarder, const http_request& request,
                            const std::string& base_url) {
    return run(io, forwarder.forward(request, base_url));
}

scripted_reply ok(std::string_view body) { return {plain_answer("HTTP/1.1 200 OK", body)}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(owner_forwarder_suite)

BOOST_AUTO_TEST_CASE(forwards_method_target_fields_and_body_with_the_loop_guard_but_no_hop_by_hop_fields) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) {
        return scripted_reply{plain_answer("HTTP/1.1 201 Created", R"({"ok":true})",
                                           "Content-Type: application/json\r\nX-Owner: b\r\n")};
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());

    http_request request(http::verb::put, "/v1/progress/lesson-1?fields=all", 11);
    request.add_field("Host", "progress.example.com");
    request.add_field("Authorization", "Bearer abc");
    request.add_field("Content-Type", "application/json");
    request.add_field("Connection", "keep-alive, X-Private-Hop");
    request.add_field("Keep-Alive", "timeout=5");
    request.add_field("Proxy-Connection", "keep-alive");
    request.add_field("TE", "trailers");
    request.add_field("Upgrade", "h2c");
    request.add_field("X-Private-Hop", "only for the first hop");
    request.add_field("Transfer-Encoding", "chunked");  // the session's parser de-chunked the body
    request.add_field("X-Progressd-Forwarded-By", "spoofed");
    request.add_field("X-Request-Id", "r-1");
    request.set_body(R"({"position_seconds":312})");

    const auto outcome = forward_one(io, forwarder, request, owner.base_url());
    BOOST_REQUIRE(outcome.ok());
    BOOST_TEST(outcome.sent);
    BOOST_TEST(outcome.answer.result_int() == 201u);
    BOOST_TEST(outcome.answer.body() == R"({"ok":true})");
    BOOST_TEST(outcome.answer["X-Owner"] == "b");

    BOOST_REQUIRE_EQUAL(owner.received().size(), 1u);
    const auto& got = owner.received()[0];
    BOOST_TEST(got.method() == http::verb::put);
    BOOST_TEST(got.target() == "/v1/progress/lesson-1?fields=all");
    BOOST_TEST(got.version() == 11u);
    BOOST_TEST(got.body() == R"({"position_seconds":312})");
    BOOST_TEST(got[http::field::host] == "progress.example.com");
    BOOST_TEST(got[http::field::authorization] == "Bearer abc");
    BOOST_TEST(got[http::field::content_type] == "application/json");
    BOOST_TEST(got["X-Request-Id"] == "r-1");
    BOOST_TEST(got[http::field::content_length] == std::to_string(request.body().size()));
    BOOST_TEST(got.count("X-Progressd-Forwarded-By") == 1u);
    BOOST_TEST(got["X-Progressd-Forwarded-By"] == "node-a");
    for (const auto* hop : {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade", "X-Private-Hop",
                            "Transfer-Encoding"}) {
        BOOST_TEST(got.count(hop) == 0u, hop << " was forwarded");
    }
    BOOST_TEST(forwarder.stats().forwarded == 1u);
    BOOST_TEST(forwarder.stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(a_request_without_host_gets_the_owners_authority) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return ok("x"); });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const http_request request(http::verb::get, "/readyz", 10);
    BOOST_REQUIRE(forward_one(io, forwarder, request, owner.base_url()).ok());
    BOOST_TEST(owner.received()[0][http::field::host] == owner.base_url().substr(std::string("http://").size()));
    BOOST_TEST(owner.received()[0].count(http::field::content_length) == 0u);  // a GET without a body
}

BOOST_AUTO_TEST_CASE(keep_alive_connections_are_reused) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto& request, std::size_t index) {
        return ok(std::string(request.target()) + "#" + std::to_string(index));
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const http_request first(http::verb::get, "/a", 11), second(http::verb::get, "/b", 11), third(http::verb::get, "/c", 11);
    const std::string url = owner.base_url();
    const auto answers = run(io, [&]() -> net::awaitable<std::string> {
        std::string bodies;
        for (const auto* request : {&first, &second, &third}) {
            const auto outcome = co_await forwarder.forward(*request, url);
            bodies += outcome.ok() ? outcome.answer.body() + " " : "failed ";
        }
        co_return bodies;
    }());
    BOOST_TEST(answers == "/a#0 /b#1 /c#2 ");
    BOOST_TEST(owner.accepted() == 1u);
    BOOST_TEST(forwarder.stats().connections_opened == 1u);
    BOOST_TEST(forwarder.stats().connections_reused == 2u);
    BOOST_TEST(forwarder.stats().retried == 0u);
    BOOST_TEST(forwarder.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_the_owner_closed_is_retried_once_on_a_fresh_one) {
    net::io_context io;
    // Answers as if keeping the connection alive, then closes it, as an owner's idle timeout does.
    scripted_http_server owner(io, [](const auto&, std::size_t index) {
        return scripted_reply{plain_answer("HTTP/1.1 200 OK", "answer " + std::to_string(index)), true};
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const http_request request(http::verb::post, "/v1/progress", 11);
    BOOST_REQUIRE(forward_one(io, forwarder, request, owner.base_url()).ok());
    const auto again = forward_one(io, forwarder, request, owner.base_url());
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again.answer.body() == "answer 1");
    BOOST_TEST(owner.received().size() == 2u);  // the failed send never reached a handler
    BOOST_TEST(owner.accepted() == 2u);
    BOOST_TEST(forwarder.stats().connections_reused == 1u);
    BOOST_TEST(forwarder.stats().retried == 1u);
    BOOST_TEST(forwarder.stats().forwarded == 2u);
}

BOOST_AUTO_TEST_CASE(a_connection_idle_past_its_age_is_not_tried) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return ok("x"); });
    auto options = options_for_tests();
    options.max_idle_age = 0ms;
    owner_forwarder forwarder(io.get_executor(), options);
    const http_request request(http::verb::get, "/x", 11);
    BOOST_REQUIRE(forward_one(io, forwarder, request, owner.base_url()).ok());
    BOOST_REQUIRE(forward_one(io, forwarder, request, owner.base_url()).ok());
    BOOST_TEST(owner.accepted() == 2u);
    BOOST_TEST(forwarder.stats().connections_reused == 0u);
    BOOST_TEST(forwarder.stats().retried == 0u);
}

BOOST_AUTO_TEST_CASE(interim_answers_are_skipped) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) {
        return scripted_reply{"HTTP/1.1 100 Continue\r\n\r\n" + plain_answer("HTTP/1.1 200 OK", "final")};
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/x", 11), owner.base_url());
    BOOST_REQUIRE(outcome.ok());
    BOOST_TEST(outcome.answer.result_int() == 200u);
    BOOST_TEST(outcome.answer.body() == "final");
}

BOOST_AUTO_TEST_CASE(a_fresh_connections_failure_is_not_retried) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return scripted_reply{"", true}; });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/x", 11), owner.base_url());
    BOOST_TEST((outcome.error == forward_error::broken));
    BOOST_TEST(outcome.sent);
    BOOST_TEST(owner.accepted() == 1u);
    BOOST_TEST(forwarder.stats().retried == 0u);
    BOOST_TEST(forwarder.stats().failed == 1u);
}

BOOST_AUTO_TEST_CASE(nothing_is_retried_after_a_byte_of_the_answer) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t index) {
        if (index == 0) return ok("whole");
        return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\ncut", true};
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const http_request request(http::verb::get, "/x", 11);
    BOOST_REQUIRE(forward_one(io, forwarder, request, owner.base_url()).ok());
    const auto outcome = forward_one(io, forwarder, request, owner.base_url());
    BOOST_TEST((outcome.error == forward_error::broken));
    BOOST_TEST(forwarder.stats().retried == 0u);
    BOOST_TEST(owner.received().size() == 2u);
    BOOST_TEST(forwarder.idle_connections() == 0u);  // a failed connection is never pooled
}

BOOST_AUTO_TEST_CASE(an_owner_that_never_answers_times_out) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return scripted_reply{.silent = true}; });
    auto options = options_for_tests();
    options.exchange_timeout = 300ms;
    owner_forwarder forwarder(io.get_executor(), options);
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/slow", 11), owner.base_url());
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST((outcome.error == forward_error::timed_out));
    BOOST_TEST(outcome.sent);
    BOOST_TEST(owner.received().size() == 1u);
    BOOST_TEST((took >= 250ms && took < 5s));
    BOOST_TEST(forwarder.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_an_error_value) {
    net::io_context io;
    std::string url;
    {  // a port that was just free and is closed again: nothing listens there
        net::ip::tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
        url = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
    }
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/x", 11), url);
    BOOST_TEST((outcome.error == forward_error::connect_failed));
    BOOST_TEST(outcome.cause == boost::system::error_code(net::error::connection_refused));
    BOOST_TEST(!outcome.sent);
    BOOST_TEST(forwarder.stats().failed == 1u);
    BOOST_TEST(forwarder.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_CASE(urls_and_methods_it_cannot_forward) {
    net::io_context io;
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const http_request get(http::verb::get, "/x", 11);
    for (const auto* url : {"https://10.0.0.1:8080", "http://10.0.0.1:8080/prefix", "10.0.0.1:8080", ""}) {
        BOOST_TEST((forward_one(io, forwarder, get, url).error == forward_error::not_forwardable), url);
    }
    const http_request odd(http::verb::unknown, "/x", 11);
    BOOST_TEST((forward_one(io, forwarder, odd, "http://10.0.0.1:8080").error == forward_error::not_forwardable));
}

BOOST_AUTO_TEST_CASE(a_head_answer_has_no_body_whatever_its_length_and_the_connection_stays_usable) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto& request, std::size_t) {
        if (request.method() == http::verb::head) {
            return scripted_reply{"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 1234\r\n\r\n"};
        }
        return ok("after the head");
    });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const auto head = forward_one(io, forwarder, http_request(http::verb::head, "/report.csv", 11), owner.base_url());
    BOOST_REQUIRE(head.ok());
    BOOST_TEST(head.answer.body().empty());
    BOOST_TEST(head.answer[http::field::content_length] == "1234");
    const auto next = forward_one(io, forwarder, http_request(http::verb::get, "/x", 11), owner.base_url());
    BOOST_REQUIRE(next.ok());
    BOOST_TEST(next.answer.body() == "after the head");
    BOOST_TEST(owner.accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(a_large_chunked_answer_arrives_whole) {
    net::io_context io;
    std::string expected;
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int chunk = 0; chunk < 80; ++chunk) {  // 80 chunks of 64 KiB: 5 MiB
        const std::string bytes(64 * 1024, static_cast<char>('a' + chunk % 26));
        expected += bytes;
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
        wire += size + bytes + "\r\n";
    }
    wire += "0\r\n\r\n";
    scripted_http_server owner(io, [&](const auto&, std::size_t) { return scripted_reply{wire}; });
    owner_forwarder forwarder(io.get_executor(), options_for_tests());
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/download", 11), owner.base_url());
    BOOST_REQUIRE(outcome.ok());
    BOOST_TEST(outcome.answer.body().size() == expected.size());
    BOOST_TEST((outcome.answer.body() == expected));
    BOOST_TEST(forwarder.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(an_answer_over_the_body_limit_is_refused) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return ok(std::string(2000, 'x')); });
    auto options = options_for_tests();
    options.max_answer_body_bytes = 1000;
    owner_forwarder forwarder(io.get_executor(), options);
    const auto outcome = forward_one(io, forwarder, http_request(http::verb::get, "/x", 11), owner.base_url());
    BOOST_TEST((outcome.error == forward_error::broken));
    BOOST_TEST(outcome.cause == boost::system::error_code(http::error::body_limit));
}

BOOST_AUTO_TEST_CASE(the_pool_keeps_at_most_its_limit_of_idle_connections) {
    net::io_context io;
    scripted_http_server owner(io, [](const auto&, std::size_t) { return ok("x"); });
    auto options = options_for_tests();
    options.max_idle_per_target = 2;
    owner_forwarder forwarder(io.get_executor(), options);
    const http_request request(http::verb::get, "/x", 11);
    const std::string url = owner.base_url();
    // Four forwards at once need four connections; two of them stay.
    const auto answered = run(io, [&]() -> net::awaitable<int> {
        auto executor = co_await net::this_coro::executor;
        int done = 0;
        for (int i = 0; i < 4; ++i) {
            net::co_spawn(executor, forwarder.forward(request, url), [&](std::exception_ptr, forward_outcome o) {
                done += o.ok() ? 1 : 0;
            });
        }
        net::steady_timer wait(executor);
        for (int rounds = 0; done < 4 && rounds < 400; ++rounds) {
            wait.expires_after(5ms);
            co_await wait.async_wait(net::deferred);
        }
        co_return done;
    }());
    BOOST_TEST(answered == 4);
    BOOST_TEST(owner.accepted() == 4u);
    BOOST_TEST(forwarder.idle_connections() == 2u);
    forwarder.close_idle();
    BOOST_TEST(forwarder.idle_connections() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
