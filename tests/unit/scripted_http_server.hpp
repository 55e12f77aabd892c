#pragma once
// A real HTTP/1.1 server on 127.0.0.1 and a port the kernel picks, for tests of HTTP clients
// (server/owner_forwarder.hpp): it records every request it parses and answers each with the raw
// bytes its script gives, so a test can send any framing (chunked, a HEAD length, a cut-off
// answer), close a connection after an answer, or never answer at all.
//
// Runs on the test's io_context, from that context's thread only. Declare the io_context before
// the server: the sessions still suspended when a test ends are destroyed with the context.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace progressd::testing {

struct scripted_reply {
    std::string bytes{};  // written as they are
    bool close = false;   // close the connection after writing them, without a word
    bool silent = false;  // write nothing and keep the connection open
};

class scripted_http_server {
public:
    using request = boost::beast::http::request<boost::beast::http::string_body>;
    // Given the request and how many requests the server parsed before it.
    using script = std::function<scripted_reply(const request&, std::size_t index)>;

    scripted_http_server(boost::asio::io_context& io, script answer)
        : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), answer_(std::move(answer)) {
        boost::asio::co_spawn(io, accept_loop(), boost::asio::detached);
    }

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    std::size_t accepted() const { return accepted_; }
    const std::vector<request>& received() const { return received_; }

private:
    static constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::deferred);

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            ++accepted_;
            boost::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket) {
        namespace http = boost::beast::http;
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            auto [read_ec, read] = co_await http::async_read(socket, buffer, parser, use_tuple);
            if (read_ec) co_return;  // the client closed (or gave up waiting on a silent reply)
            received_.push_back(parser.release());
            const auto reply = answer_(received_.back(), received_.size() - 1);
            if (reply.silent) continue;
            auto [write_ec, written] = co_await boost::asio::async_write(socket, boost::asio::buffer(reply.bytes), use_tuple);
            if (write_ec || reply.close) co_return;
        }
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    script answer_;
    std::size_t accepted_ = 0;
    std::vector<request> received_;
};

// A whole answer with a Content-Length, and `extra_fields` ("Name: value\r\n"…) before it.
inline std::string plain_answer(std::string_view status_line, std::string_view body, std::string_view extra_fields = "") {
    return std::string(status_line) + "\r\n" + std::string(extra_fields) +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace progressd::testing
