#pragma once
#include <cstdint>

namespace progressd {

// Milliseconds since the Unix epoch (the unit of every stored timestamp).
std::int64_t wall_clock_ms();

}  // namespace progressd
