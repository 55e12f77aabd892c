// Harness: merge rule 3 (docs/data-model.md), which (session_id, seq) pings count, against the
// reference model of tests/unit/replay_model.hpp. The input is the stream of choices the driver
// makes (one byte each, two for a choice of more than 256): how many sessions, then per step a
// new ping of a session (seq + 1 or a jump that leaves gaps), a gap filled late, an exact repeat
// of an earlier ping, or the record's trip through the LMDB codec. The merge must call a ping a
// duplicate exactly when the model does, and the time spent and views must match the model's sums.

#include "tests/unit/replay_model.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    const auto choose = [&](std::size_t n) -> std::size_t {
        std::size_t value = at < size ? data[at++] : 0;
        if (n > 256) value = value << 8 | (at < size ? data[at++] : 0);
        return value % n;
    };
    const auto more = [&] { return at < size; };
    const auto run = progressd::testing::run_replay_model(choose, more);
    if (!run.ok) {
        std::fprintf(stderr, "session_window_fuzz: %s\n", run.failure.c_str());
        std::abort();
    }
    return 0;
}
