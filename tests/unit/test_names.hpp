#pragma once
// Numbered names for test data ("user-7"), shared by the store's unit tests.

#include <string>

namespace progressd::testing {

inline std::string named(const char* prefix, int number) {
    std::string name(prefix);
    name += std::to_string(number);  // not prefix + to_string(): GCC 12 -O3 warns falsely (-Wrestrict)
    return name;
}

}  // namespace progressd::testing
