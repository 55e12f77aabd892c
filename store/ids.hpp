#pragma once
// Identifiers (docs/data-model.md): 1–128 bytes of [A-Za-z0-9._:@-]; it excludes '\0', which the
// LMDB key encoding uses as a separator.

#include <string_view>

namespace progressd::store {

inline constexpr std::size_t max_id_length = 128;

constexpr bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '@' || c == '-';
}

constexpr bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > max_id_length) return false;
    for (char c : id) {
        if (!is_id_char(c)) return false;
    }
    return true;
}

// context_id may be empty: organic consumption outside any enrolment.
constexpr bool is_valid_context_id(std::string_view id) { return id.empty() || is_valid_id(id); }

}  // namespace progressd::store
