#pragma once
// The process_* families every Prometheus client library exports (CPU seconds, resident and
// virtual memory, open and maximum file descriptors, start time), read from /proc/self at scrape
// time, so they cost nothing between scrapes. Linux only; a figure that cannot be read is left
// out rather than reported as 0.
//
// Thread-safety: reads only the kernel's view of the process; any thread.

#include "handlers/ops/exposition.hpp"

#include <optional>
#include <string_view>

namespace progressd {

struct process_figures {
    std::optional<double> cpu_seconds;         // user + system
    std::optional<double> resident_bytes;
    std::optional<double> virtual_bytes;
    std::optional<double> start_time_seconds;  // since the Unix epoch
    std::optional<double> open_fds;
    std::optional<double> max_fds;             // the soft limit
};

// From /proc/self/stat's text (after the command's closing parenthesis come the fields from
// `state` on), the system's boot time (/proc/stat btime), clock ticks per second and page size.
process_figures parse_proc_stat(std::string_view stat, double boot_time_seconds, long ticks_per_second,
                                long page_size);

// The system's boot time (/proc/stat's btime), seconds since the epoch: read once, at start-up,
// since it never changes and /proc/stat is long on a many-core machine.
std::optional<double> read_boot_time_seconds();

// `boot_time_seconds` from read_boot_time_seconds (nullopt: no CPU, memory or start time).
process_figures read_process_figures(std::optional<double> boot_time_seconds);

void render_process_metrics(exposition& out, const process_figures& figures);

}  // namespace progressd
