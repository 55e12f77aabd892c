#pragma once
// The text of a credential header, read alike by the authenticator (which verifies it) and by
// handlers/request_user.cpp (which only finds whose request it is, before routing): optional
// whitespace, the case-insensitive scheme, and "Scheme value" split in two.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace progressd::auth {

// HTTP optional whitespace (RFC 9110 §5.6.3). Tested char by char: find_first_of calls memchr
// once per character, which a ~200-byte token on every request notices.
inline bool is_whitespace(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim(std::string_view text) {
    while (!text.empty() && is_whitespace(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_whitespace(text.back())) text.remove_suffix(1);
    return text;
}

inline bool iequals(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

struct credential_parts {
    std::string_view scheme;
    std::string_view value;
};

// "Scheme value" → {scheme, value}; both trimmed, value empty when there is none.
inline credential_parts split_scheme(std::string_view header) {
    header = trim(header);
    const auto space = std::ranges::find_if(header, is_whitespace);
    if (space == header.end()) return {header, {}};
    const auto at = static_cast<std::size_t>(space - header.begin());
    return {header.substr(0, at), trim(header.substr(at))};
}

}  // namespace progressd::auth
