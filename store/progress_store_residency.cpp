// Cluster mode's side of the progress store (app/resident_users.hpp): what a user costs in memory,
// whether it may leave, and leaving.

#include "store/progress_store_shard.hpp"

namespace progressd::store {

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
