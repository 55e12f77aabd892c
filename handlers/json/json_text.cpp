#include "handlers/json/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace progressd {

namespace {

// Bytes a JSON string can hold as they are: all but control characters, the quote and the backslash.
constexpr auto plain_bytes = [] {
    std::array<bool, 256> table{};
    for (int byte = 0x20; byte < 0x100; ++byte) table[static_cast<std::size_t>(byte)] = byte != '"' && byte != '\\';
    return table;
}();

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t plain = 0;  // bytes before the first that needs an escape
    while (plain < text.size() && plain_bytes[static_cast<unsigned char>(text[plain])]) ++plain;
    if (plain == text.size()) {  // ids and names, nearly always: one write, no byte-by-byte appends
        const std::size_t start = out.size();
        out.resize(start + text.size() + 2);
        char* at = out.data() + start;
        at[0] = '"';
        text.copy(at + 1, text.size());
        at[text.size() + 1] = '"';
        return;
    }
    out.push_back('"');
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = plain; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (plain_bytes[byte]) continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        if (byte == '"' || byte == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(byte));
        } else {
            const char escape[] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0x0f]};
            out.append(escape, sizeof escape);
        }
    }
    out.append(text.data() + run, text.size() - run);
    out.push_back('"');
}

void append_json_string_or_null(std::string& out, bool present, std::string_view text) {
    if (present) {
        append_json_string(out, text);
    } else {
        out.append("null");
    }
}

void append_json_time_or_null(std::string& out, std::int64_t ms) {
    if (ms != 0) {
        append_json_integer(out, ms);
    } else {
        out.append("null");
    }
}

void append_json_number_or_null(std::string& out, std::optional<double> number) {
    if (number) {
        append_json_number(out, *number);
    } else {
        out.append("null");
    }
}

namespace {

// Numbers with one or two decimals (a position of 312.5 s, a percent of 52.08) also skip the
// shortest-form search, with the same text std::to_chars would write. When k / 10^d (an exact
// integer over an exact power of ten, so the division is correctly rounded) equals the number, the
// text of k / 10^d reads back as it: both are the double nearest that decimal. It is the shortest:
// fewer decimals were tried first, and below 10^12 doubles lie closer than 0.01 apart, so no other
// decimal of as many digits reads back as the same double. From 1 up, plain notation is never
// longer than scientific, which is the form std::to_chars picks.
bool append_short_decimal(std::string& out, double number) {
    const double magnitude = std::fabs(number);
    if (!(magnitude >= 1 && magnitude < 1e12)) return false;
    std::int64_t scale = 10;
    for (int decimals = 1; decimals <= 2; ++decimals, scale *= 10) {
        const double scaled = std::round(magnitude * static_cast<double>(scale));
        if (scaled / static_cast<double>(scale) != magnitude) continue;
        const auto units = static_cast<std::int64_t>(scaled);
        char buffer[32];
        char* end = buffer;
        if (number < 0) *end++ = '-';
        end = std::to_chars(end, buffer + sizeof buffer, units / scale).ptr;
        *end++ = '.';
        const auto fraction = units % scale;
        if (decimals == 2 && fraction < 10) *end++ = '0';
        end = std::to_chars(end, buffer + sizeof buffer, fraction).ptr;
        out.append(buffer, end);
        return true;
    }
    return false;
}

}  // namespace

void append_json_number(std::string& out, double number) {
    // The API never stores a non-finite number; null is the only valid JSON for one anyway.
    if (!std::isfinite(number)) {
        out.append("null");
        return;
    }
    char buffer[32];
    // Whole numbers (most positions and times) skip the costly shortest-form search.
    constexpr double exact_integer_limit = 9007199254740992.0;  // 2^53
    if (std::fabs(number) < exact_integer_limit && number == std::trunc(number)) {
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(number));
        out.append(buffer, result.ptr);
        return;
    }
    if (append_short_decimal(out, number)) return;
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
    out.append(buffer, result.ptr);
}

namespace {

template <class Integer>
void append_integer(std::string& out, Integer number) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
    out.append(buffer, result.ptr);
}

}  // namespace

void append_json_integer(std::string& out, std::int64_t number) { append_integer(out, number); }

void append_json(std::string& out, const boost::json::value& value) {
    switch (value.kind()) {
    case boost::json::kind::null: out.append("null"); return;
    case boost::json::kind::bool_: out.append(value.get_bool() ? "true" : "false"); return;
    case boost::json::kind::int64: append_integer(out, value.get_int64()); return;
    case boost::json::kind::uint64: append_integer(out, value.get_uint64()); return;
    case boost::json::kind::double_: append_json_number(out, value.get_double()); return;
    case boost::json::kind::string: append_json_string(out, value.get_string()); return;
    case boost::json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (const auto& element : value.get_array()) {
            if (!first) out.push_back(',');
            first = false;
            append_json(out, element);
        }
        out.push_back(']');
        return;
    }
    case boost::json::kind::object: {
        out.push_back('{');
        bool first = true;
        for (const auto& member : value.get_object()) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, member.key());
            out.push_back(':');
            append_json(out, member.value());
        }
        out.push_back('}');
        return;
    }
    }
}

std::string to_json_text(const boost::json::value& value) {
    std::string out;
    append_json(out, value);
    return out;
}

}  // namespace progressd
