// Harness: the request path below the socket. A real routing table (register_all_routes, every
// API family) over in-memory stores gets a short sequence of requests, as Beast's parser would
// hand them over: routing, percent-decoding, authentication, each family's JSON handlers and
// error writers, and the stores behind them. State is fresh for every input, so a crash replays
// from its input alone.
//
// Input: up to 8 requests separated by a line "%%". Each is "METHOD TARGET", header lines
// "name: value", an empty line, then the body. In header values "@key", "@user", "@bob" and
// "@basic" stand for the service key, alice's and bob's HS256 tokens and a Basic credential, so
// mutations keep valid credentials without having to rediscover them. Requests Beast's parser
// could not produce (control characters, a method that is not a token) are skipped.
//
// Checks: no exception escapes a handler (the server would drop the connection); no 500; a HEAD
// answer has no body; every JSON body the server writes parses as JSON.
//
// ROUTER_FUZZ_TRACE=1 prints each request line and its status: how to see what a seed reaches.

#include "app/database.hpp"
#include "handlers/auth/authenticator.hpp"
#include "handlers/auth/base64url.hpp"
#include "handlers/router.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/persist/lmdb.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

using namespace progressd;

namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;
constexpr std::size_t max_requests = 8;
const std::string secret = "fuzz-router-secret-0123456789abcdef";
const std::string service_key = "fuzz-router-key-0123456789";

void require(bool condition, const char* what, std::string_view detail = {}) {
    if (condition) return;
    std::fprintf(stderr, "router_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

// What stays the same across inputs: the authenticator, the tokens, and an LMDB environment the
// database is built over (its persister is never started: nothing is written).
struct fixture {
    // Kept while the process runs: every input's database opens its write-ahead log files here.
    // A run that stops at a crash leaves it behind in the temp dir (LMDB's files, empty logs).
    std::string data_dir;
    std::optional<store::lmdb_environment> environment;
    auth::authenticator authenticator{auth::jwt_verifier(secret), auth::api_keys({service_key})};
    std::string alice = auth::sign_hs256(secret, "alice", now_ms / 1000 - 60, 0);
    std::string bob = auth::sign_hs256(secret, "bob", now_ms / 1000 - 60, 0);
    std::string basic = auth::base64_encode(service_key + ":");
    logger quiet{log_level::error};

    fixture() {
        data_dir = (std::filesystem::temp_directory_path() / "progressd-router-fuzz-XXXXXX").string();
        require(mkdtemp(data_dir.data()) != nullptr, "mkdtemp failed");
        environment.emplace(store::open_data_dir(data_dir, std::size_t{1} << 20));
    }
    ~fixture() {
        environment.reset();
        std::error_code ignored;
        std::filesystem::remove_all(data_dir, ignored);
    }
};

fixture& the_fixture() {
    static fixture instance;
    return instance;
}

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

bool is_field_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
}

std::string expand(std::string_view value, const fixture& f) {
    std::string out(value);
    const std::pair<std::string_view, std::string_view> names[] = {
        {"@key", service_key}, {"@user", f.alice}, {"@bob", f.bob}, {"@basic", f.basic}};
    for (const auto& [name, replacement] : names) {
        for (std::size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + replacement.size())) {
            out.replace(at, name.size(), replacement);
        }
    }
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

// One request in the harness's text form, or nullopt when Beast's parser could never produce it.
std::optional<beast_request> parse_request(std::string_view text, const fixture& f) {
    const auto line_end = std::min(text.find('\n'), text.size());
    const auto request_line = trim(text.substr(0, line_end));
    const auto space = request_line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const auto method = request_line.substr(0, space);
    const auto target = trim(request_line.substr(space + 1));
    const bool visible = std::all_of(target.begin(), target.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte != 0x7f;
    });
    if (!is_token(method) || target.empty() || !visible) return std::nullopt;

    beast_request request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    std::size_t at = std::min(line_end + 1, text.size());
    while (at < text.size()) {
        const auto end = std::min(text.find('\n', at), text.size());
        const auto line = text.substr(at, end - at);
        at = std::min(end + 1, text.size());
        if (trim(line).empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return std::nullopt;
        const auto value = trim(line.substr(colon + 1));
        // Beast stores a field's name and value lengths in 16 bits; its parser's header limit
        // (8 KiB in the server) keeps real requests far below that.
        if (!is_field_value(value) || line.size() > 8192) return std::nullopt;
        request.insert(line.substr(0, colon), expand(value, f));
    }
    request.body().assign(text.substr(at));
    return request;
}

void check_response(const http_request& request, const http_response& response) {
    const unsigned status = response.result_int();
    require(status >= 100 && status <= 599, "status out of range", request.target());
    require(status != 500, "500 internal error", request.target());
    if (request.method() == http::verb::head) require(response.body().empty(), "HEAD answered with a body");
    if (response.body().empty() || response[http::field::content_type].find("json") == std::string_view::npos) return;
    boost::system::error_code ec;
    boost::json::parse(response.body(), ec);
    require(!ec, "the server wrote invalid JSON", response.body());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& f = the_fixture();
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    app::database stores(*f.environment, {.data_dir = f.data_dir, .shards = 2}, f.quiet);
    server_status status;
    status.loaded = true;
    std::vector<std::unique_ptr<thread_metrics>> metrics;
    services context{stores, status, metrics};
    router routes(f.authenticator);
    register_all_routes(routes, context);
    metrics.push_back(std::make_unique<thread_metrics>(routes.route_count()));
    thread_context thread{{}, *metrics.front()};

    static const bool trace = std::getenv("ROUTER_FUZZ_TRACE") != nullptr;
    std::size_t start = 0;
    for (std::size_t count = 0; count < max_requests && start <= input.size(); ++count) {
        auto end = input.find("\n%%\n", start);
        if (end == std::string_view::npos) end = input.size();
        if (auto request = parse_request(input.substr(start, end - start), f)) {
            const http_request view = http_request::view_of(*request);
            const auto dispatched = routes.dispatch(view, thread, now_ms + std::int64_t(count) * 1000);
            require(dispatched.route < routes.route_count(), "route index out of range");
            check_response(view, dispatched.result.response);
            if (trace) {
                std::fprintf(stderr, "%s %s -> %u\n", std::string(request->method_string()).c_str(),
                             std::string(request->target()).c_str(), dispatched.result.response.result_int());
            }
        }
        start = end + 4;
    }
    return 0;
}
