#pragma once
// The little JSON that progressctl's NDJSON lines need, written and read here rather than through
// Boost.JSON for two reasons that the byte-for-byte round trip of export → import → export rests
// on: numbers are written as the shortest text that reads back to the same double (std::to_chars)
// and read back exactly (std::from_chars; Boost.JSON 1.81's parser may be off by one ulp), and a
// nested object (a record's `details`, a catalog entry's `attributes`) is kept as the exact text
// it was written as, so the value stored from it is the value exported. Strings are bytes: what
// is not a quote, a backslash or a control character passes through as is, UTF-8 or not.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::tools {

void append_json_string(std::string& out, std::string_view text);
void append_json_number(std::string& out, double value);  // finite; shortest round-trip text

// Builds one JSON object into `out`, members in the order given.
class json_object_writer {
public:
    explicit json_object_writer(std::string& out) : out_(out) { out_ += '{'; }
    json_object_writer& string(std::string_view name, std::string_view value);
    json_object_writer& number(std::string_view name, double value);
    json_object_writer& integer(std::string_view name, std::int64_t value);
    json_object_writer& boolean(std::string_view name, bool value);
    json_object_writer& null(std::string_view name);
    json_object_writer& raw(std::string_view name, std::string_view json);  // already JSON text
    void close() { out_ += '}'; }

private:
    void name(std::string_view member);
    std::string& out_;
    bool first_ = true;
};

// A parsed value. `raw` is its exact text in the input (valid while the input lives).
struct json_value {
    enum class kind : std::uint8_t { null, boolean, number, string, array, object };
    kind type = kind::null;
    std::string_view raw{};
    bool flag = false;            // boolean
    std::string text{};           // string, unescaped
    std::vector<json_value> items{};  // array
    std::vector<std::pair<std::string, json_value>> members{};  // object, in input order

    const json_value* find(std::string_view name) const;
    // Exact conversions of a number's text; nullopt when it is not one or does not fit.
    std::optional<double> as_double() const;
    std::optional<std::int64_t> as_int64() const;
};

// Parses one complete value (surrounding whitespace allowed); nullopt with `error` set otherwise.
std::optional<json_value> parse_json(std::string_view text, std::string& error);

}  // namespace progressd::tools
