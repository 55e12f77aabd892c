#include "tools/ctl_stats.hpp"

#include "common/http_url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace progressd::tools {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;

// The routes whose requests are progress pings: the native writes and the compatible APIs' own.
constexpr std::array<std::string_view, 7> ping_routes{
    "/v1/progress",
    "/v1/progress/batch",
    "/v1/view/start",
    "/v1/view/update",
    "/v1/view/end",
    "/api/v1/education/progress/{course_id}/lessons/{lesson_id}",
    "/v1/users/{user_id}/published-courses/{course_id}/lessons/{lesson_id}",
};

bool is_ping(const prom_sample& sample) {
    const auto method = sample.label("method").value_or("");
    if (method == "GET" || method == "HEAD" || method.empty()) return false;
    const auto route = sample.label("route").value_or("");
    for (const auto ping : ping_routes) {
        if (route == ping) return true;
    }
    return false;
}

bool is_scrape(const prom_sample& sample) { return sample.label("route").value_or("") == "/metrics"; }

// Balancers' and orchestrators' probes: a node nobody uses still answers a few a second, which
// would read as traffic (the drain leaves them out too: server/load_gate.hpp).
bool is_probe(const prom_sample& sample) {
    const auto route = sample.label("route").value_or("");
    return route == "/livez" || route == "/healthz" || route == "/readyz" || route == "/metrics" || route == "/openapi.json";
}

std::optional<double> gauge(const std::vector<prom_sample>& samples, std::string_view name) {
    for (const auto& sample : samples) {
        if (sample.name == name) return sample.value;
    }
    return std::nullopt;
}

template <typename Keep>
double total(const std::vector<prom_sample>& samples, std::string_view name, Keep keep) {
    double sum = 0;
    for (const auto& sample : samples) {
        if (sample.name == name && keep(sample)) sum += sample.value;
    }
    return sum;
}

// Latency buckets of every route but /metrics, summed by `le`: now minus previous.
std::vector<prom_bucket> latency_buckets(const std::vector<prom_sample>& samples, double sign,
                                         std::vector<prom_bucket> into) {
    for (const auto& sample : samples) {
        if (sample.name != "progressd_request_duration_seconds_bucket" || is_scrape(sample)) continue;
        const auto le_text = sample.label("le");
        if (!le_text) continue;
        const double le = *le_text == "+Inf" ? INFINITY : std::strtod(std::string(*le_text).c_str(), nullptr);
        auto at = std::find_if(into.begin(), into.end(), [le](const prom_bucket& b) { return b.le == le; });
        if (at == into.end()) at = into.insert(into.end(), prom_bucket{le, 0});
        at->count += sign * sample.value;
    }
    return into;
}

std::string fetch_metrics(const http_target& where) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(5));
    net::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(where.host, where.port));
    http::request<http::empty_body> request{http::verb::get, where.target, 11};
    request.set(http::field::host, where.host);
    request.set(http::field::user_agent, "progressctl-stats");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    auto response = parser.release();
    if (response.result() != http::status::ok) {
        throw std::runtime_error("GET " + where.target + " answered " + std::to_string(response.result_int()));
    }
    return std::move(response.body());
}

std::vector<prom_sample> scrape(const http_target& where) {
    auto parsed = parse_prom_text(fetch_metrics(where));
    if (!parsed.error.empty()) throw std::runtime_error("unreadable metrics: " + parsed.error);
    return std::move(parsed.samples);
}

std::string show(const std::optional<double>& value, const char* format, double scale = 1) {
    if (!value || std::isnan(*value)) return "-";
    char text[64];
    std::snprintf(text, sizeof text, format, *value * scale);
    return text;
}

std::string yes_no(const std::optional<double>& flag) { return !flag ? "-" : *flag != 0 ? "yes" : "no"; }

struct stats_options {
    std::string url = "http://127.0.0.1:8080";
    bool watch = false;
    double interval_seconds = 1;
    bool json = false;
};

int run_stats(const stats_options& options) {
    auto where = parse_http_url(options.url);
    if (!where) {
        std::cerr << "progressctl stats: --url must be http://host[:port][/path]\n";
        return 2;
    }
    if (!where->target.ends_with("/metrics")) {
        where->target = (where->target.ends_with('/') ? where->target.substr(0, where->target.size() - 1)
                                                      : where->target) + "/metrics";
    }
    const auto interval = std::chrono::duration<double>(options.interval_seconds);
    try {
        auto previous = scrape(*where);
        auto taken = std::chrono::steady_clock::now();
        while (true) {
            std::this_thread::sleep_for(interval);
            auto now = scrape(*where);
            const auto at = std::chrono::steady_clock::now();
            const auto figures = compute_stats(&previous, now, std::chrono::duration<double>(at - taken).count());
            if (options.json) {
                std::cout << format_stats_json(figures, options.url) << std::endl;
            } else {
                // Like top: home the cursor and clear the screen, then redraw.
                if (options.watch) std::cout << "\x1b[H\x1b[2J";
                std::cout << format_stats_text(figures, options.url) << std::flush;
            }
            if (!options.watch) return std::cout ? exit_ok : exit_failure;
            previous = std::move(now);
            taken = at;
        }
    } catch (const std::exception& error) {
        std::cerr << "progressctl stats: " << options.url << ": " << error.what() << '\n';
        return exit_failure;
    }
}

}  // namespace

stats_figures compute_stats(const std::vector<prom_sample>* previous, const std::vector<prom_sample>& now,
                            double seconds) {
    stats_figures figures;
    if (previous != nullptr && seconds > 0) {
        auto requests = [](const std::vector<prom_sample>& s) {
            return total(s, "progressd_requests_total", [](const prom_sample& x) { return !is_probe(x); });
        };
        auto pings = [](const std::vector<prom_sample>& s) { return total(s, "progressd_requests_total", is_ping); };
        figures.requests_per_second = std::max(0.0, requests(now) - requests(*previous)) / seconds;
        figures.pings_per_second = std::max(0.0, pings(now) - pings(*previous)) / seconds;
        figures.p99_latency_seconds = histogram_quantile(0.99, latency_buckets(*previous, -1, latency_buckets(now, 1, {})));
    }
    figures.records = gauge(now, "progressd_records");
    figures.users = gauge(now, "progressd_users");
    figures.dirty_records = gauge(now, "progressd_dirty_records");
    figures.last_flush_age_seconds = gauge(now, "progressd_last_flush_age_seconds");
    if (figures.last_flush_age_seconds && *figures.last_flush_age_seconds < 0) figures.last_flush_age_seconds.reset();
    figures.last_flush_duration_seconds = gauge(now, "progressd_last_flush_duration_seconds");
    figures.flush_failures = gauge(now, "progressd_flush_failures_total");
    figures.write_behind_pending = gauge(now, "progressd_write_behind_pending");
    figures.webhook_backlog = gauge(now, "progressd_webhook_deliveries_pending");
    figures.connections = gauge(now, "progressd_connections");
    figures.ready = gauge(now, "progressd_ready");
    figures.draining = gauge(now, "progressd_draining");
    for (const auto& sample : now) {
        if (sample.name != "progressd_build_info") continue;
        figures.version = sample.label("version").value_or("");
        figures.commit = sample.label("commit").value_or("");
    }
    return figures;
}

std::string format_stats_text(const stats_figures& f, const std::string& url) {
    std::string out = "progressd " + (f.version.empty() ? std::string("?") : f.version) + " (" +
                      (f.commit.empty() ? std::string("?") : f.commit) + ") at " + url + "\n";
    auto line = [&out](std::string_view label, const std::string& value) {
        char text[128];
        std::snprintf(text, sizeof text, "  %-22.*s %s\n", static_cast<int>(label.size()), label.data(), value.c_str());
        out += text;
    };
    line("ready", yes_no(f.ready));
    line("draining", yes_no(f.draining));
    line("requests/s", show(f.requests_per_second, "%.1f"));
    line("pings/s", show(f.pings_per_second, "%.1f"));
    line("p99 latency", f.p99_latency_seconds ? show(f.p99_latency_seconds, "%.2f ms", 1e3) : "- (no requests)");
    line("records", show(f.records, "%.0f"));
    line("users", show(f.users, "%.0f"));
    line("dirty records", show(f.dirty_records, "%.0f"));
    line("last flush", f.last_flush_age_seconds ? show(f.last_flush_age_seconds, "%.1f s ago") + ", took " +
                                                      show(f.last_flush_duration_seconds, "%.2f ms", 1e3)
                                                : "none yet");
    line("flush failures", show(f.flush_failures, "%.0f"));
    if (f.write_behind_pending) line("write-behind pending", show(f.write_behind_pending, "%.0f"));
    line("webhook backlog", show(f.webhook_backlog, "%.0f"));
    line("connections", show(f.connections, "%.0f"));
    return out;
}

std::string format_stats_json(const stats_figures& f, const std::string& url) {
    boost::json::object out{{"url", url}, {"version", f.version}, {"commit", f.commit}};
    auto put = [&out](std::string_view key, const std::optional<double>& value) {
        if (value && std::isfinite(*value)) {
            out[key] = *value;
        } else {
            out[key] = nullptr;
        }
    };
    auto flag = [&out](std::string_view key, const std::optional<double>& value) {
        if (value) {
            out[key] = *value != 0;
        } else {
            out[key] = nullptr;
        }
    };
    flag("ready", f.ready);
    flag("draining", f.draining);
    put("requests_per_second", f.requests_per_second);
    put("pings_per_second", f.pings_per_second);
    put("p99_latency_seconds", f.p99_latency_seconds);
    put("records", f.records);
    put("users", f.users);
    put("dirty_records", f.dirty_records);
    put("last_flush_age_seconds", f.last_flush_age_seconds);
    put("last_flush_duration_seconds", f.last_flush_duration_seconds);
    put("flush_failures", f.flush_failures);
    put("write_behind_pending", f.write_behind_pending);
    put("webhook_backlog", f.webhook_backlog);
    put("connections", f.connections);
    return boost::json::serialize(out);
}

void add_stats_command(CLI::App& app, std::function<int()>& action) {
    // The options live as long as the App: the subcommand's callback owns them.
    auto options = std::make_shared<stats_options>();
    auto* command = app.add_subcommand(
        "stats", "a running server's key figures from its /metrics: rates and p99 between two scrapes "
                 "--interval apart; --watch redraws them until Ctrl-C");
    command->add_option("--url", options->url, "the server's base URL (or its /metrics URL)")->capture_default_str();
    command->add_flag("--watch", options->watch, "redraw every --interval seconds, like top, until Ctrl-C");
    command->add_option("--interval", options->interval_seconds, "seconds between scrapes")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    command->add_flag("--json", options->json, "one JSON object per refresh instead of text");
    command->callback([options, &action] { action = [options] { return run_stats(*options); }; });
}

}  // namespace progressd::tools
