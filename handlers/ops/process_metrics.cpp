#include "handlers/ops/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace progressd {
namespace {

std::string read_small_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<double> open_fds() {
    DIR* fds = opendir("/proc/self/fd");
    if (fds == nullptr) return std::nullopt;
    double count = 0;
    while (const dirent* entry = readdir(fds)) {
        if (entry->d_name[0] != '.') ++count;
    }
    closedir(fds);
    return count - 1;  // the directory handle opendir itself holds
}

}  // namespace

process_figures parse_proc_stat(std::string_view stat, double boot_time_seconds, long ticks_per_second,
                                long page_size) {
    process_figures figures;
    // The command (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string_view::npos || ticks_per_second <= 0) return figures;
    // Fields 3 (state) onwards; we want 14 utime, 15 stime, 22 starttime, 23 vsize, 24 rss.
    std::array<double, 25> field{};
    std::size_t number = 3;
    const char* at = stat.data() + close + 1;
    const char* end = stat.data() + stat.size();
    while (at < end && number < field.size()) {
        while (at < end && *at == ' ') ++at;
        const char* start = at;
        while (at < end && *at != ' ' && *at != '\n') ++at;
        if (start == at) break;
        std::int64_t value = 0;
        if (std::from_chars(start, at, value).ec == std::errc{}) field[number] = static_cast<double>(value);
        ++number;
    }
    if (number < field.size()) return figures;  // truncated: report nothing rather than zeros
    const double ticks = static_cast<double>(ticks_per_second);
    figures.cpu_seconds = (field[14] + field[15]) / ticks;
    figures.start_time_seconds = boot_time_seconds + field[22] / ticks;
    figures.virtual_bytes = field[23];
    figures.resident_bytes = field[24] * static_cast<double>(page_size);
    return figures;
}

std::optional<double> read_boot_time_seconds() {
    const std::string stat = read_small_file("/proc/stat");
    const auto at = stat.find("\nbtime ");
    if (at == std::string::npos) return std::nullopt;
    std::uint64_t seconds = 0;
    const char* begin = stat.data() + at + 7;
    if (std::from_chars(begin, stat.data() + stat.size(), seconds).ec != std::errc{}) return std::nullopt;
    return static_cast<double>(seconds);
}

process_figures read_process_figures(std::optional<double> boot_time_seconds) {
    process_figures figures;
    if (boot_time_seconds) {
        figures = parse_proc_stat(read_small_file("/proc/self/stat"), *boot_time_seconds, sysconf(_SC_CLK_TCK),
                                  sysconf(_SC_PAGESIZE));
    }
    figures.open_fds = open_fds();
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        figures.max_fds = static_cast<double>(limit.rlim_cur);
    }
    return figures;
}

void render_process_metrics(exposition& out, const process_figures& figures) {
    auto gauge = [&out](std::string_view name, std::string_view type, std::string_view help,
                        const std::optional<double>& value) {
        if (!value) return;
        out.family(name, type, help);
        out.sample(name, {}, *value);
    };
    gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
          figures.cpu_seconds);
    gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", figures.resident_bytes);
    gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", figures.virtual_bytes);
    gauge("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
          figures.start_time_seconds);
    gauge("process_open_fds", "gauge", "Number of open file descriptors.", figures.open_fds);
    gauge("process_max_fds", "gauge", "Maximum number of open file descriptors.", figures.max_fds);
}

}  // namespace progressd
