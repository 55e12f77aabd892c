#include "handlers/auth/token_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace progressd::auth {
namespace {

// The first table allocation: small, so a thread that never sees a user token costs little.
constexpr std::size_t initial_slots = 64;
constexpr std::size_t initial_arena_bytes = std::size_t{16} << 10;

// 64 × 64 → 128-bit product, high half folded onto the low: every input bit reaches the middle
// and, through the high half, the low bits that pick a slot.
__extension__ using uint128 = unsigned __int128;
std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
    const uint128 product = static_cast<uint128>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

std::uint64_t load_word(const char* bytes) {
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    return word;
}

}  // namespace

// Four independent lanes of 8 bytes, so the multiplies overlap: about twice as fast as std::hash
// on a 500-byte token, which it reads on every request. Unseeded and not collision-resistant: it
// only spreads tokens over slots, and a hit compares the bytes anyway.
std::uint64_t token_cache::default_hash(std::string_view token) noexcept {
    constexpr std::uint64_t k0 = 0x9E3779B97F4A7C15;  // odd constants with well-mixed bits
    constexpr std::uint64_t k1 = 0xC2B2AE3D27D4EB4F;
    constexpr std::uint64_t k2 = 0x165667B19E3779F9;
    constexpr std::uint64_t k3 = 0xD6E8FEB86659FD93;
    const char* bytes = token.data();
    std::size_t left = token.size();
    std::uint64_t a = k0 ^ left, b = k1, c = k2, d = k3;
    for (; left >= 32; bytes += 32, left -= 32) {
        a = fold_multiply(a ^ load_word(bytes), k0);
        b = fold_multiply(b ^ load_word(bytes + 8), k1);
        c = fold_multiply(c ^ load_word(bytes + 16), k2);
        d = fold_multiply(d ^ load_word(bytes + 24), k3);
    }
    for (; left >= 8; bytes += 8, left -= 8) a = fold_multiply(a ^ load_word(bytes), k1);
    std::uint64_t tail = 0;
    if (left != 0) std::memcpy(&tail, bytes, left);
    a = fold_multiply(a ^ tail, k2);
    return fold_multiply(a ^ c, b ^ d ^ k0);
}

token_cache::token_cache(std::size_t capacity, hash_function hash)
    : hash_(hash),
      capacity_(std::clamp<std::size_t>(capacity, 1, max_capacity)),
      max_slots_(std::bit_ceil(2 * capacity_)),
      max_bytes_(std::min<std::size_t>(capacity_ * average_entry_bytes, UINT32_MAX)) {}

std::size_t token_cache::locate(std::uint64_t hash, std::string_view token) const {
    const std::size_t mask = slots_.size() - 1;
    // Ends: the table is at most half full, so an empty slot always comes.
    for (std::size_t index = hash & mask;; index = (index + 1) & mask) {
        const slot& candidate = slots_[index];
        if (candidate.token_bytes == 0) return index;
        // The hash and length only filter; the bytes decide (see the class comment).
        if (candidate.hash == hash && candidate.token_bytes == token.size() &&
            std::memcmp(arena_.get() + candidate.offset, token.data(), token.size()) == 0) {
            return index;
        }
    }
}

std::optional<std::string> token_cache::find(std::string_view token, std::int64_t now_seconds) {
    if (size_ == 0 || token.empty() || token.size() > max_token_bytes) return std::nullopt;
    const std::size_t index = locate(hash_(token), token);
    const slot& found = slots_[index];
    if (found.token_bytes == 0) return std::nullopt;
    if (found.expires_at != 0 && found.expires_at <= now_seconds) {
        erase_at(index);
        return std::nullopt;
    }
    return std::string(arena_.get() + found.offset + found.token_bytes, found.user_id_bytes);
}

void token_cache::insert(std::string_view token, std::string_view user_id, std::int64_t expires_at) {
    if (token.empty() || token.size() > max_token_bytes || user_id.size() > max_token_bytes) return;
    const std::uint64_t hash = hash_(token);
    if (size_ != 0 && slots_[locate(hash, token)].token_bytes != 0) return;
    const std::size_t bytes = token.size() + user_id.size();
    // When full, drop everything rather than keep an LRU order: an LRU costs a list splice on
    // every hit of the hot path, while a clear costs one re-verification per live token, once per
    // `capacity` new tokens, and also sweeps out expired entries nobody asked for again.
    if (size_ >= capacity_ || arena_used_ + bytes > max_bytes_) clear();
    if (bytes > max_bytes_) return;  // only with a tiny capacity: one entry would pass the bound alone
    if (2 * (size_ + 1) > slots_.size()) grow_slots();
    reserve_arena(arena_used_ + bytes);

    char* const where = arena_.get() + arena_used_;
    std::memcpy(where, token.data(), token.size());
    if (!user_id.empty()) std::memcpy(where + token.size(), user_id.data(), user_id.size());
    slots_[locate(hash, token)] = slot{hash, expires_at, static_cast<std::uint32_t>(arena_used_),
                                       static_cast<std::uint16_t>(token.size()),
                                       static_cast<std::uint16_t>(user_id.size())};
    arena_used_ += bytes;
    ++size_;
}

// Backward-shift deletion: walk the run after the hole and pull back every entry whose probe
// started at or before the hole, so each remaining entry stays reachable from its home slot
// without a tombstone.
void token_cache::erase_at(std::size_t index) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = index;
    for (std::size_t next = (hole + 1) & mask; slots_[next].token_bytes != 0; next = (next + 1) & mask) {
        const std::size_t home = slots_[next].hash & mask;
        // Distances walked from home, and from the hole, to `next` (mod the table size).
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            slots_[hole] = slots_[next];
            hole = next;
        }
    }
    slots_[hole] = slot{};
    --size_;
}

// Keeps both allocations: the cache refills to the same size, which clears only when full.
void token_cache::clear() {
    std::fill(slots_.begin(), slots_.end(), slot{});
    size_ = 0;
    arena_used_ = 0;
}

void token_cache::grow_slots() {
    std::vector<slot> old(std::min(max_slots_, std::max(initial_slots, 2 * slots_.size())));
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const slot& entry : old) {
        if (entry.token_bytes == 0) continue;
        std::size_t index = entry.hash & mask;
        while (slots_[index].token_bytes != 0) index = (index + 1) & mask;
        slots_[index] = entry;
    }
}

// Doubling, capped at the bound: offsets survive the move, so the slots need no rewrite.
void token_cache::reserve_arena(std::size_t bytes) {
    if (bytes <= arena_capacity_) return;
    const std::size_t capacity = std::min(max_bytes_, std::max({bytes, 2 * arena_capacity_, initial_arena_bytes}));
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (arena_used_ != 0) std::memcpy(grown.get(), arena_.get(), arena_used_);
    arena_ = std::move(grown);
    arena_capacity_ = capacity;
}

}  // namespace progressd::auth
