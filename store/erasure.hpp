#pragma once
// What erasing a user's data from a store removed (docs/data-model.md, "Resets and erasure").

#include <cstddef>
#include <cstdint>

namespace progressd::store {

struct erased_user {
    std::size_t count = 0;         // entries removed
    std::uint64_t generation = 0;  // durable once committed; 0 when nothing was removed
};

}  // namespace progressd::store
