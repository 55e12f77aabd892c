#pragma once
// What every user-sharded map in store/ shares: the shard a user belongs to, the check on the
// shard count, and a string hash that lets lookups use string_views without building a string.

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string_view>

namespace progressd::store {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

// Throws unless `shard_count` is a power of two (shard_index masks instead of dividing).
inline void check_shard_count(std::size_t shard_count) {
    if (shard_count == 0 || (shard_count & (shard_count - 1)) != 0) {
        throw std::invalid_argument("shard count must be a power of two");
    }
}

inline std::size_t shard_index(std::string_view user_id, std::size_t shard_count) {
    return std::hash<std::string_view>{}(user_id) & (shard_count - 1);
}

}  // namespace progressd::store
