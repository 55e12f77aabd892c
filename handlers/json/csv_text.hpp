#pragma once
// CSV text (RFC 4180), for the exports that offer it.

#include <string>
#include <string_view>

namespace progressd {

// Appends one field, quoted when it holds a comma, a quote or a line break (quotes doubled).
inline void append_csv_field(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace progressd
