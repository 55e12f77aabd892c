#pragma once
// An exception for a system call that failed: what was tried, then strerror(errno).

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace progressd {

inline std::runtime_error errno_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace progressd
