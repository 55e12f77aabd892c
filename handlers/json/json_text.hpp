#pragma once
// Serializes JSON the way people read it. Boost.JSON 1.81 writes every double in exponent form
// ("5.2E1", "0E0"): valid, but surprising in an API whose numbers are seconds and percentages.
// This writer prints the shortest text that round-trips (std::to_chars), so 52.0 is "52" and
// 52.083 is "52.083"; everything else is written as Boost.JSON would.

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd {

void append_json(std::string& out, const boost::json::value& value);
std::string to_json_text(const boost::json::value& value);

// Appends a JSON string literal, escaping quotes, backslashes and control characters.
void append_json_string(std::string& out, std::string_view text);
// The string when `present`, else null.
void append_json_string_or_null(std::string& out, bool present, std::string_view text);
// A time in ms since the epoch; 0, the stores' "never", is written as null.
void append_json_time_or_null(std::string& out, std::int64_t ms);
// The number when there is one, else null.
void append_json_number_or_null(std::string& out, std::optional<double> number);
// Appends a finite double in its shortest round-trip form.
void append_json_number(std::string& out, double number);
// Appends an integer as Boost.JSON writes one.
void append_json_integer(std::string& out, std::int64_t number);

}  // namespace progressd
