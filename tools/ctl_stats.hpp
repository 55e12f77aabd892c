#pragma once
// progressctl stats: a running server's key figures, read from its /metrics, in human form or
// JSON; --watch redraws them every --interval seconds, like top, until Ctrl-C. Rates and the
// p99 latency are computed between two scrapes, as Prometheus's rate() and histogram_quantile()
// would over that window, so the first figures come after one interval.

#include "tools/prom_text.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace progressd::tools {

// What stats shows; a figure the server does not export stays nullopt and shows as "-".
struct stats_figures {
    std::optional<double> requests_per_second;  // every route but /metrics
    std::optional<double> pings_per_second;     // the routes that carry progress pings
    std::optional<double> p99_latency_seconds;  // every route but /metrics
    std::optional<double> records, users, dirty_records;
    std::optional<double> last_flush_age_seconds, last_flush_duration_seconds, flush_failures;
    std::optional<double> write_behind_pending;  // cluster mode
    std::optional<double> webhook_backlog;
    std::optional<double> connections;
    std::optional<double> ready, draining;
    std::string version{}, commit{};
};

// `previous` is the scrape `seconds` before `now` (none: no rates yet).
stats_figures compute_stats(const std::vector<prom_sample>* previous, const std::vector<prom_sample>& now,
                            double seconds);
std::string format_stats_text(const stats_figures& figures, const std::string& url);
std::string format_stats_json(const stats_figures& figures, const std::string& url);

// Registers the subcommand; its parse callback sets `action` to run it.
void add_stats_command(CLI::App& app, std::function<int()>& action);

}  // namespace progressd::tools
