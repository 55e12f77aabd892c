#pragma once
// persister::when_durable as a future, so a test waits with a timeout instead of hanging.

#include "store/persist/persister.hpp"

#include <cstdint>
#include <future>
#include <memory>

namespace progressd::testing {

inline std::future<bool> durable(store::persister& writer, std::uint64_t generation) {
    auto promise = std::make_shared<std::promise<bool>>();
    auto future = promise->get_future();
    writer.when_durable(generation, [promise](bool committed) { promise->set_value(committed); });
    return future;
}

}  // namespace progressd::testing
