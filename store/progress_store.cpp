#include "store/progress_store.hpp"

#include "store/intern_table.hpp"
#include "store/packed_record.hpp"
#include "store/random_bits.hpp"
#include "store/sharding.hpp"
#include "store/user_records.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace progressd::store {
namespace {

// A removed record's key until the persister has written its tombstone. It keeps the two string
// references its record held, so the ids still name the strings when it is collected.
struct erased_key {
    intern_table::id context = intern_table::empty_id;
    intern_table::id content = intern_table::empty_id;
};

// Dirty tracking is per user, not per record: a dirty record sets its flag and queues its user
// once (a string per dirty user instead of three per dirty record, ~100 bytes a record when every
// record is dirty). An entry whose records are all gone stays until its tombstones are
// collected; besides collect_dirty only drop_user removes an entry with changes (cluster mode,
// the user's partition gone), so one being walked is still there after the moments the walk lets
// the lock go unless dropped — and maybe elsewhere: the table is open-addressed (one cache miss
// less per ping than a node-based map), so an insert meanwhile may move every entry, and
// collect_dirty looks its user up again after each pause.
struct user_entry {
    user_records records;
    std::vector<erased_key> erased;
    std::uint64_t generation = 0;  // of the latest write
    bool queued = false;  // in the shard's dirty_users
};

}  // namespace

struct alignas(64) progress_store::shard {
    mutable std::mutex mutex;
    intern_table strings;  // context, content and mimetype strings of this shard's records
    boost::unordered_flat_map<std::string, user_entry, string_hash, std::equal_to<>> users;
    std::vector<std::string> dirty_users;
    std::size_t record_count = 0;
    std::size_t user_count = 0;   // users with at least one record
    std::size_t dirty_count = 0;  // dirty records plus tombstones not yet collected
    std::uint64_t emptied_generation = 0;  // the latest write of a user whose entry was removed
    random_bits random;  // record ids
    progress_record scratch;  // apply_ping's working copy (see take_into)

    user_entry& user_for_write(std::string_view user_id) {
        auto user = users.find(user_id);
        if (user == users.end()) {
            // An earlier entry of the user may have left a removal uncommitted.
            user = users.emplace(std::string(user_id), user_entry{}).first;
            user->second.generation = emptied_generation;
        }
        return user->second;
    }

    const user_entry* user_for_read(std::string_view user_id) const {
        auto user = users.find(user_id);
        return user == users.end() || user->second.records.empty() ? nullptr : &user->second;
    }

    // Everything of the user committed by `durable` (see progress_store::evictable).
    bool settled(const user_entry* user, std::uint64_t durable) const {
        if (user == nullptr) return emptied_generation <= durable;
        if (user->queued || !user->erased.empty() || user->generation > durable) return false;
        for (const auto& record : user->records) {
            if (record.dirty) return false;  // its collection has not reached it yet
        }
        return true;
    }

    // Forgets the user: its records, tombstones and their string references.
    void remove_user(decltype(users)::iterator user) {
        user_entry& entry = user->second;
        for (const auto& record : entry.records) {
            if (record.dirty) --dirty_count;
            release_strings(record, strings);
        }
        for (const auto& erased : entry.erased) {
            --dirty_count;
            strings.release(erased.context);
            strings.release(erased.content);
        }
        record_count -= entry.records.size();
        if (!entry.records.empty()) --user_count;
        users.erase(user);
    }

    void queue(std::string_view user_id, user_entry& user) {
        if (user.queued) return;
        user.queued = true;
        dirty_users.emplace_back(user_id);
    }

    void mark_dirty(std::string_view user_id, user_entry& user, packed_record& record) {
        if (record.dirty) return;
        record.dirty = true;
        ++dirty_count;
        queue(user_id, user);
    }

    // The record of (context, content) in `user`, or nullopt. A string no record uses is not in
    // the table: then there is no such record, found without searching.
    std::optional<std::size_t> lookup(const user_entry& user, std::string_view context_id,
                                      std::string_view content_id) const {
        const auto context = strings.find(context_id);
        const auto content = context ? strings.find(content_id) : std::nullopt;
        if (!content) return std::nullopt;
        const auto at = user.records.locate(*context, *content);
        return at.found ? std::optional<std::size_t>(at.index) : std::nullopt;
    }

    // The record of (context, content), created (clean, with a new id) when absent. Each string
    // is hashed once: a new record of known strings takes its references by id.
    packed_record& find_or_create(user_entry& user, std::string_view context_id, std::string_view content_id) {
        const auto known_context = strings.find(context_id);
        const auto known_content = known_context ? strings.find(content_id) : std::nullopt;
        if (!known_content) {
            const intern_table::id context = strings.acquire(context_id);
            const intern_table::id content = strings.acquire(content_id);
            return create(user, user.records.locate(context, content).index, context, content);
        }
        const auto at = user.records.locate(*known_context, *known_content);
        if (at.found) return user.records[at.index];
        strings.add_ref(*known_context);
        strings.add_ref(*known_content);
        return create(user, at.index, *known_context, *known_content);
    }

    // Inserts a new clean record at `index`; it takes over one reference to each id.
    packed_record& create(user_entry& user, std::size_t index, intern_table::id context, intern_table::id content) {
        packed_record fresh;
        fresh.context = context;
        fresh.content = content;
        fresh.record_id = new_record_id();
        if (user.records.empty()) ++user_count;
        ++record_count;
        return user.records.insert(index, std::move(fresh));
    }

    // Removes the record at `index`, leaving a tombstone for the persister. A dirty record's
    // pending write becomes that tombstone, so the dirty count does not change for it.
    void remove(std::string_view user_id, user_entry& user, std::size_t index) {
        packed_record& record = user.records[index];
        strings.release(record.mimetype);
        user.erased.push_back({record.context, record.content});  // the key's references move here
        if (!record.dirty) ++dirty_count;
        user.records.erase(index);
        --record_count;
        if (user.records.empty()) --user_count;
        queue(user_id, user);
    }

    std::array<std::uint8_t, 16> new_record_id() {
        std::array<std::uint8_t, 16> id;
        for (std::size_t i = 0; i < id.size(); i += 8) {
            const std::uint64_t bits = random();
            for (std::size_t b = 0; b < 8; ++b) id[i + b] = static_cast<std::uint8_t>(bits >> (8 * b));
        }
        id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x40);  // version 4
        id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
        return id;
    }

    record_key key_of(const packed_record& record) const {
        return {std::string(strings.text(record.context)), std::string(strings.text(record.content))};
    }
};

progress_store::progress_store(std::size_t shard_count, merge_rules rules)
    : shard_count_(shard_count), rules_(rules), shards_(new shard[shard_count]) {
    check_shard_count(shard_count);
}

progress_store::~progress_store() = default;

progress_store::shard& progress_store::shard_for(std::string_view user_id) const {
    return shards_[shard_index(user_id, shard_count_)];
}

apply_result progress_store::apply_ping(std::string_view user_id, const ping& observation, std::int64_t now_ms) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    user_entry& user = s.user_for_write(user_id);
    packed_record& stored = s.find_or_create(user, observation.context_id, observation.content_id);

    // The merge rules work on a progress_record: unpack into the shard's scratch record (moving
    // the rare strings, not copying), merge, pack back; no allocation. What this layout costs a
    // ping, in instructions, is in bench/README.md ("Figures behind design choices").
    progress_record& record = s.scratch;
    take_into(stored, s.strings, record);
    apply_result result;
    result.outcome = merge(record, observation, rules_, now_ms);
    result.summary = summarize(record);
    pack(stored, std::move(record), s.strings);
    result.generation = generation_.load(std::memory_order_acquire);
    if (!result.outcome.duplicate) {
        s.mark_dirty(user_id, user, stored);
        user.generation = result.generation;
    }
    return result;
}

overwrite_result progress_store::overwrite(std::string_view user_id, const record_key& key,
                                           const record_overwrite& write, std::int64_t now_ms) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    user_entry& user = s.user_for_write(user_id);
    packed_record& stored = s.find_or_create(user, key.context_id, key.content_id);

    progress_record record = take(stored, s.strings);
    const bool was_completed = record.status == progress_status::completed;
    overwrite_record(record, write, now_ms, rules_.rule_for(write.content_type, record.mimetype));
    const bool is_completed = record.status == progress_status::completed;
    pack(stored, progress_record(record), s.strings);
    s.mark_dirty(user_id, user, stored);
    user.generation = generation_.load(std::memory_order_acquire);
    return {std::move(record), user.generation, is_completed && !was_completed};
}

std::optional<progress_record> progress_store::find(std::string_view user_id, std::string_view context_id,
                                                    std::string_view content_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const user_entry* user = s.user_for_read(user_id);
    if (!user) return std::nullopt;
    const auto index = s.lookup(*user, context_id, content_id);
    if (!index) return std::nullopt;
    return unpack(user->records[*index], s.strings);
}

std::vector<std::optional<progress_record>> progress_store::find_many(std::string_view user_id,
                                                                      std::string_view context_id,
                                                                      const std::vector<std::string>& content_ids) const {
    std::vector<std::optional<progress_record>> found(content_ids.size());
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const user_entry* user = s.user_for_read(user_id);
    if (!user) return found;
    for (std::size_t i = 0; i < content_ids.size(); ++i) {
        if (const auto index = s.lookup(*user, context_id, content_ids[i])) found[i] = unpack(user->records[*index], s.strings);
    }
    return found;
}

std::optional<std::uint64_t> progress_store::erase(std::string_view user_id, std::string_view context_id,
                                                   std::string_view content_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    const auto index = s.lookup(user->second, context_id, content_id);
    if (!index) return std::nullopt;
    s.remove(user_id, user->second, *index);
    user->second.generation = generation_.load(std::memory_order_acquire);
    return user->second.generation;
}

user_page progress_store::list_user(std::string_view user_id, std::size_t offset, std::size_t limit) const {
    user_page page;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const user_entry* user = s.user_for_read(user_id);
    if (!user) return page;
    page.total = user->records.size();
    for (const std::size_t i : user->records.key_order(s.strings, offset, limit)) {
        page.records.emplace_back(s.key_of(user->records[i]), unpack(user->records[i], s.strings));
    }
    return page;
}

erased_user progress_store::erase_user(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end() || user->second.records.empty()) return {};
    user_entry& entry = user->second;
    erased_user result{entry.records.size(), generation_.load(std::memory_order_acquire)};
    // From the back: each removal then shifts nothing.
    while (!entry.records.empty()) s.remove(user_id, entry, entry.records.size() - 1);
    entry.generation = result.generation;
    return result;
}

std::vector<std::pair<record_key, progress_record>> progress_store::continue_watching(std::string_view user_id,
                                                                                      std::size_t limit) const {
    std::vector<std::pair<record_key, progress_record>> listing;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const user_entry* user = s.user_for_read(user_id);
    if (!user || limit == 0) return listing;
    const user_records& records = user->records;
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].status == progress_status::in_progress && !records[i].hidden) candidates.push_back(i);
    }
    // Newest first; equal times by key, so the order is stable across calls.
    auto newer = [&records, &s](std::size_t a, std::size_t b) {
        if (records[a].last_accessed_at != records[b].last_accessed_at) {
            return records[a].last_accessed_at > records[b].last_accessed_at;
        }
        return key_text_less(s.strings, records[a], records[b]);
    };
    const std::size_t count = std::min(limit, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count), candidates.end(), newer);
    listing.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        listing.emplace_back(s.key_of(records[candidates[i]]), unpack(records[candidates[i]], s.strings));
    }
    return listing;
}

std::optional<std::uint64_t> progress_store::hide(std::string_view user_id, std::string_view content_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    const auto content = s.strings.find(content_id);
    if (user == s.users.end() || !content) return std::nullopt;
    bool changed = false;
    for (auto& record : user->second.records) {
        if (record.content != *content || record.hidden) continue;
        record.hidden = true;
        s.mark_dirty(user_id, user->second, record);
        changed = true;
    }
    if (!changed) return std::nullopt;
    user->second.generation = generation_.load(std::memory_order_acquire);
    return user->second.generation;
}

store_stats progress_store::stats() const {
    store_stats totals;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        totals.records += shards_[i].record_count;
        totals.users += shards_[i].user_count;
        totals.dirty += shards_[i].dirty_count;
    }
    return totals;
}

void progress_store::load(std::string_view user_id, record_key key, const progress_record& record) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    user_entry& user = s.user_for_write(user_id);
    packed_record& stored = s.find_or_create(user, key.context_id, key.content_id);
    pack(stored, progress_record(record), s.strings);
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

std::size_t progress_store::collect_dirty(std::size_t shard_index, const dirty_visitor& visit) {
    // A shard can hold tens of thousands of dirty records after a burst; holding its lock for the
    // whole walk would stall every ping to it for milliseconds. So the lock is let go every few
    // visits. Whatever changes a user meanwhile marks it dirty again, which queues it again at
    // the end of dirty_users (its queued flag is cleared before its walk): walked by index, so a
    // reallocation is harmless, and collected in this same pass — earlier than its generation
    // needs, which is allowed. That is also why resuming a user's walk at the same index after a
    // pause is safe: a record that shifted below it was moved by a change that re-queued the user.
    constexpr std::size_t visits_per_hold = 128;
    shard& s = shards_[shard_index];
    std::unique_lock lock(s.mutex);
    std::size_t visits = 0;
    record_key key;  // scratch, reused across visits so their strings keep their capacity
    progress_record scratch;
    for (std::size_t next = 0; next < s.dirty_users.size(); ++next) {
        const std::string user_id = std::move(s.dirty_users[next]);
        auto found = s.users.find(user_id);
        if (found == s.users.end()) continue;
        user_entry* user = &found->second;
        // False when the user was dropped during a pause: nothing of it is left to write.
        const auto visited = [&] {
            if (++visits % visits_per_hold != 0) return true;
            lock.unlock();
            std::this_thread::yield();  // on a shared core, let a waiting I/O thread take the lock
            lock.lock();
            const auto again = s.users.find(user_id);  // maybe moved (see user_entry)
            if (again == s.users.end()) return false;
            user = &again->second;
            return true;
        };
        bool present = true;
        user->queued = false;

        while (present && !user->erased.empty()) {
            const erased_key erased = user->erased.back();
            user->erased.pop_back();
            --s.dirty_count;
            key.context_id.assign(s.strings.text(erased.context));
            key.content_id.assign(s.strings.text(erased.content));
            // Re-created since (with the same ids: the tombstone kept the strings): its current
            // value is what LMDB must end with.
            const auto at = user->records.locate(erased.context, erased.content);
            s.strings.release(erased.context);
            s.strings.release(erased.content);
            if (at.found) {
                packed_record& record = user->records[at.index];
                if (record.dirty) --s.dirty_count;
                record.dirty = false;
                unpack_into(record, s.strings, scratch);
            }
            visit(user_id, key, at.found ? &scratch : nullptr);
            present = visited();
        }
        for (std::size_t i = 0; present && i < user->records.size(); ++i) {
            packed_record& record = user->records[i];
            if (!record.dirty) continue;
            record.dirty = false;
            --s.dirty_count;
            key.context_id.assign(s.strings.text(record.context));
            key.content_id.assign(s.strings.text(record.content));
            unpack_into(record, s.strings, scratch);
            visit(user_id, key, &scratch);
            present = visited();
        }
        if (present && user->records.empty() && user->erased.empty() && !user->queued) {
            s.emptied_generation = std::max(s.emptied_generation, user->generation);
            s.users.erase(user_id);
        }
    }
    // Freed rather than cleared: after a burst it would keep its peak size for good.
    std::vector<std::string>().swap(s.dirty_users);
    return visits;
}

}  // namespace progressd::store
