#pragma once
// Each thread's cache of verified tokens (docs/auth.md): token → user id, so the hot path (a ping every
// few seconds per viewer) pays one table probe instead of an HMAC or RSA check.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::auth {

// Thread-safety: none. Each I/O thread owns one, which is why it needs no lock.
//
// The key is the whole token string, not a digest of it: two tokens that merely collided in a
// hash would otherwise share a principal, which is an impersonation. The table stores a 64-bit
// hash only to skip most non-matching slots cheaply; a hit always compares every token byte. Only
// verified tokens enter, so filling the cache takes tokens signed by a real issuer.
//
// Layout, chosen because a lookup used to cost four dependent cache misses (bucket → node → token
// string → user id): a flat power-of-two array of 24-byte slots probed linearly, each slot holding
// the hash, the expiry and where its bytes sit in one arena, where a token's bytes are followed by
// its user id's. A hit reads one slot and then one run of arena bytes. The table stays at most half
// full, so probes are short and always reach an empty slot; removals shift later entries back
// instead of leaving tombstones, so no removal ever lengthens a probe.
//
// Bounded: at most `capacity` entries and capacity × average_entry_bytes of arena; an insert that
// would pass either limit first clears the cache (see insert for why). The bytes of a removed
// (expired) entry stay in the arena until that clear: counting them keeps the bound a true bound on
// memory without compacting the arena on the hot path.
class token_cache {
public:
    // Per I/O thread. Sized for a few hundred thousand active players: below the number of live
    // tokens, clear-on-full would turn almost every request into a full verification.
    static constexpr std::size_t default_capacity = std::size_t{1} << 18;
    // Longer tokens are verified every time rather than cached, which bounds an entry's size.
    static constexpr std::size_t max_token_bytes = 4096;
    // Memory budget per entry on average (a typical token is 150–800 bytes): capacity × this,
    // 64 MiB of arena per thread by default, plus 24 bytes × at most 2 × capacity of slots.
    static constexpr std::size_t average_entry_bytes = 256;
    // Arena offsets are 32-bit, which caps capacity × average_entry_bytes at 4 GiB.
    static constexpr std::size_t max_capacity = std::size_t{1} << 24;

    // Where a token lands in the table. Tests pass a deliberately colliding one.
    using hash_function = std::uint64_t (*)(std::string_view token) noexcept;
    static std::uint64_t default_hash(std::string_view token) noexcept;

    token_cache() : token_cache(default_capacity) {}
    // capacity is clamped to [1, max_capacity].
    explicit token_cache(std::size_t capacity, hash_function hash = &default_hash);

    // The user id of a cached, unexpired token. An expired entry is removed and is a miss.
    std::optional<std::string> find(std::string_view token, std::int64_t now_seconds);

    // expires_at 0 = the token never expires. An empty token, one over max_token_bytes or a user id
    // over max_token_bytes is not cached; neither is a token already cached (its bytes fix its claims).
    void insert(std::string_view token, std::string_view user_id, std::int64_t expires_at);

    std::size_t size() const { return size_; }

private:
    struct slot {
        std::uint64_t hash = 0;
        std::int64_t expires_at = 0;
        std::uint32_t offset = 0;       // into the arena: token bytes, then user id bytes
        std::uint16_t token_bytes = 0;  // 0 = an empty slot (an empty token is never cached)
        std::uint16_t user_id_bytes = 0;
    };
    static_assert(sizeof(slot) == 24, "three slots per two cache lines");
    static_assert(max_token_bytes <= UINT16_MAX, "lengths are stored in 16 bits");

    // The slot holding `token`, or the empty slot that ends its probe. Needs a non-empty table.
    std::size_t locate(std::uint64_t hash, std::string_view token) const;
    void erase_at(std::size_t index);
    void clear();
    void grow_slots();
    void reserve_arena(std::size_t bytes);

    hash_function hash_;
    std::size_t capacity_;
    std::size_t max_slots_;  // the smallest power of two ≥ 2 × capacity_
    std::size_t max_bytes_;  // the arena's bound
    std::vector<slot> slots_;  // empty, or a power of two long; grows by doubling up to max_slots_
    std::size_t size_ = 0;     // occupied slots
    std::unique_ptr<char[]> arena_;
    std::size_t arena_capacity_ = 0;
    std::size_t arena_used_ = 0;  // bytes of live and removed entries, until the next clear
};

}  // namespace progressd::auth
