#include "common/log.hpp"

#include "common/clock.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace progressd {
namespace {

constexpr std::string_view level_name(log_level level) {
    switch (level) {
        case log_level::trace: return "trace";
        case log_level::debug: return "debug";
        case log_level::info: return "info";
        case log_level::warn: return "warn";
        case log_level::error: return "error";
    }
    return "info";
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view name) {
    for (auto level : {log_level::trace, log_level::debug, log_level::info, log_level::warn, log_level::error}) {
        if (name == level_name(level)) return level;
    }
    return std::nullopt;
}

void logger::write(log_level level, std::string_view event, std::initializer_list<log_field> fields) const {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(128);
    line += "{\"ts\":";
    line += std::to_string(wall_clock_ms());
    line += ",\"level\":";
    append_json_string(line, level_name(level));
    line += ",\"event\":";
    append_json_string(line, event);
    for (const auto& field : fields) {
        line += ',';
        append_json_string(line, field.key);
        line += ':';
        std::visit(
            [&line](const auto& value) {
                using value_type = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<value_type, std::string_view>) {
                    append_json_string(line, value);
                } else if constexpr (std::is_same_v<value_type, bool>) {
                    line += value ? "true" : "false";
                } else {
                    line += std::to_string(value);
                }
            },
            field.value);
    }
    line += "}\n";
    // One write keeps concurrent lines whole; a failed log write has nowhere better to go.
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace progressd
