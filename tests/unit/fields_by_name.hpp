#pragma once
// Header fields grouped by name, case-insensitively, keeping their order within a name: the form
// in which two parsers' readings of one head are compared (the unit test and the fuzz harness of
// server/request_head.hpp), since only the order among fields of one name carries meaning.

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace progressd::testing {

using field_list = std::vector<std::pair<std::string, std::string>>;

inline field_list by_name(field_list fields) {
    const auto lower = [](std::string text) {
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
    };
    std::stable_sort(fields.begin(), fields.end(),
                     [&](const auto& a, const auto& b) { return lower(a.first) < lower(b.first); });
    return fields;
}

}  // namespace progressd::testing
