// Cluster mode's side of the progress store (app/resident_users.hpp): what a user costs in memory,
// whether it may leave, and leaving.

#include "store/progress_store_shard.hpp"

#include <malloc.h>

#include <algorithm>

namespace progressd::store {

namespace {

// The bytes an allocation of `requested` bytes takes from the heap: glibc's chunk (a size word,
// rounded up to 16) where that is known, the request plus a word elsewhere.
std::size_t heap_bytes(const void* allocation, std::size_t requested) {
    if (allocation == nullptr) return 0;
#if defined(__GLIBC__)
    (void)requested;
    return malloc_usable_size(const_cast<void*>(allocation)) + sizeof(std::size_t);
#else
    return requested + sizeof(std::size_t);
#endif
}

}  // namespace

store_memory progress_store::memory() const {
    store_memory total;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        total.records += s.record_count;
        total.users += s.user_count;
        // One metadata byte a slot besides the slot itself (boost's open addressing).
        total.user_bytes += s.users.bucket_count() * (sizeof(decltype(s.users)::value_type) + 1);
        for (const auto& [user_id, entry] : s.users) {
            if (user_id.capacity() > std::string().capacity()) total.user_bytes += heap_bytes(user_id.data(), user_id.capacity() + 1);
            const std::size_t records = entry.records.capacity() * sizeof(packed_record);
            const std::size_t taken = heap_bytes(entry.records.data(), records);
            total.record_bytes += records;
            total.record_slack_bytes += (entry.records.capacity() - entry.records.size()) * sizeof(packed_record);
            total.user_bytes += taken - std::min(taken, records);  // the allocation's header and rounding
            total.user_bytes += heap_bytes(entry.erased.vector(), sizeof(std::vector<erased_key>)) +
                                heap_bytes(entry.erased.data(), entry.erased.capacity() * sizeof(erased_key));
            for (const auto& record : entry.records) {
                if (record.extras) total.record_bytes += heap_bytes(record.extras.get(), sizeof(record_extras));
            }
        }
        total.string_bytes += s.strings.bytes();
    }
    return total;
}

std::size_t progress_store::user_bytes(std::string_view user_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const auto user = s.users.find(user_id);
    if (user == s.users.end()) return 0;
    // The entry and its key, the records' vector, and per record its extras and its key's text
    // (interned and maybe shared with other users: counted as if not, an upper bound).
    constexpr std::size_t entry_overhead = sizeof(std::string) + sizeof(user_entry) + 16;
    const user_entry& entry = user->second;
    std::size_t bytes = entry_overhead + user_id.size() + entry.records.capacity() * sizeof(packed_record) +
                        entry.erased.capacity() * sizeof(erased_key);
    for (const auto& record : entry.records) {
        bytes += s.strings.text(record.context).size() + s.strings.text(record.content).size();
        if (record.extras) {
            bytes += sizeof(record_extras) + record.extras->details.capacity();
            if (record.extras->annotations) {
                bytes += sizeof(record_annotations) + record.extras->annotations->notes.capacity() +
                         record.extras->annotations->metadata.capacity();
            }
        }
    }
    return bytes;
}

bool progress_store::evictable(std::string_view user_id, std::uint64_t durable_generation) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const auto user = s.users.find(user_id);
    return s.settled(user == s.users.end() ? nullptr : &user->second, durable_generation);
}

bool progress_store::evict(std::string_view user_id, std::uint64_t durable_generation) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const auto user = s.users.find(user_id);
    if (!s.settled(user == s.users.end() ? nullptr : &user->second, durable_generation)) return false;
    if (user != s.users.end()) s.remove_user(user);
    return true;
}

void progress_store::drop_user(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    // Its name may stay in dirty_users: collect_dirty skips a user it does not find, and walks a
    // reloaded one's records, which are clean.
    if (const auto user = s.users.find(user_id); user != s.users.end()) s.remove_user(user);
}

}  // namespace progressd::store
