#include "common/clock.hpp"

#include <chrono>

namespace progressd {

std::int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace progressd
