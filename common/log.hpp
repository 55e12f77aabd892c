#pragma once
// Structured logging: one JSON object per line on stderr.
//
// Thread-safety: a logger is immutable after construction; each line is built in a local buffer
// and written with a single write(2), so lines from different threads never interleave.
// Never pass a token, key or secret as a field value.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <variant>

namespace progressd {

enum class log_level { trace, debug, info, warn, error };

std::optional<log_level> parse_log_level(std::string_view name);

struct log_field {
    std::string_view key;
    std::variant<std::string_view, std::int64_t, double, bool> value;
};

class logger {
public:
    explicit logger(log_level min_level = log_level::info) : min_level_(min_level) {}

    bool enabled(log_level level) const { return level >= min_level_; }
    void write(log_level level, std::string_view event, std::initializer_list<log_field> fields = {}) const;

    void info(std::string_view event, std::initializer_list<log_field> fields = {}) const { write(log_level::info, event, fields); }
    void warn(std::string_view event, std::initializer_list<log_field> fields = {}) const { write(log_level::warn, event, fields); }
    void error(std::string_view event, std::initializer_list<log_field> fields = {}) const { write(log_level::error, event, fields); }

private:
    log_level min_level_;
};

}  // namespace progressd
