#include "tools/ctl_agent.hpp"

#include "common/http_url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace progressd::tools {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

struct availability_options {
    std::string url = "http://127.0.0.1:8080";
    std::string api_keys_file;
    std::string state;  // empty: only read it
};

// The first key of a --api-keys-file (one per line, `#` comments), as the server reads it.
std::string first_key(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    for (std::string line; std::getline(in, line);) {
        const auto begin = line.find_first_not_of(" \t\r");
        if (begin == std::string::npos || line[begin] == '#') continue;
        const auto end = line.find_last_not_of(" \t\r");
        return line.substr(begin, end - begin + 1);
    }
    throw std::runtime_error(path + " holds no key");
}

// One request on its own connection; the answer's status and body.
std::pair<unsigned, std::string> call(const http_target& where, http::verb method, const std::string& key,
                                      const std::string& body) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    net::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(where.host, where.port));
    http::request<http::string_body> request{method, "/v1/ops/availability", 11};
    request.set(http::field::host, where.host + ":" + where.port);
    request.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return {response.result_int(), response.body()};
}

int run_availability(const availability_options& options) {
    const auto where = parse_http_url(options.url);
    if (!where) {
        std::cerr << "progressctl availability: --url must be http://HOST[:PORT], got '" << options.url << "'\n";
        return 2;
    }
    try {
        const std::string key = first_key(options.api_keys_file);
        const auto [status, body] =
            options.state.empty() ? call(*where, http::verb::get, key, {})
                                  : call(*where, http::verb::put, key, "{\"state\":\"" + options.state + "\"}");
        if (status != 200) {
            std::cerr << "progressctl availability: " << status << " " << body << '\n';
            return 1;
        }
        std::cout << body << '\n';
    } catch (const std::exception& error) {
        std::cerr << "progressctl availability: " << options.url << ": " << error.what() << '\n';
        return 1;
    }
    return std::cout.flush() ? 0 : 1;
}

}  // namespace

void add_availability_command(CLI::App& app, std::function<int()>& action) {
    // The options live as long as the App: the subcommand's callback owns them.
    auto options = std::make_shared<availability_options>();
    auto* command = app.add_subcommand(
        "availability", "read a running node's availability, or set it to ready, drain or maint "
                        "(take it out of the balancers' rotation without a restart)");
    command->add_option("state", options->state, "ready | drain | maint (none: print the current one)")
        ->check(CLI::IsMember({"ready", "drain", "maint"}));
    command->add_option("--url", options->url, "the node's base URL")->capture_default_str();
    command->add_option("--api-keys-file", options->api_keys_file, "service API keys, one per line: the first is used")
        ->envname("PROGRESSD_API_KEYS_FILE")
        ->required();
    command->callback([options, &action] { action = [options] { return run_availability(*options); }; });
}

}  // namespace progressd::tools
