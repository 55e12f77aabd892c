#pragma once
// For effects with no completion callback (request_flush, a persister falling behind): poll,
// briefly, up to a limit, so a test waits for a state without sleeping a fixed time.

#include <chrono>
#include <thread>

namespace progressd::testing {

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds{5}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
}

}  // namespace progressd::testing
