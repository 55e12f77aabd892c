#pragma once
// Inside store/progress_store.cpp and store/progress_store_residency.cpp only: a shard of the
// progress store, its users' entries and their dirty tracking. Not part of the store's interface.

#include "store/progress_store.hpp"

#include "store/intern_table.hpp"
#include "store/packed_record.hpp"
#include "store/random_bits.hpp"
#include "store/sharding.hpp"
#include "store/user_records.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

namespace progressd::store::progress_store_parts {

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
// A user's removed keys waiting for their tombstones. Nearly always empty, so one pointer in the
// entry (a vector would be three), the vector allocated with the first and freed with the last.
class erased_keys {
public:
    bool empty() const { return !keys_; }
    void push_back(erased_key key) {
        if (!keys_) keys_ = std::make_unique<std::vector<erased_key>>();
        keys_->push_back(key);
    }
    const erased_key& back() const { return keys_->back(); }
    void pop_back() {
        keys_->pop_back();
        if (keys_->empty()) keys_.reset();
    }
    const erased_key* begin() const { return keys_ ? keys_->data() : nullptr; }
    const erased_key* end() const { return keys_ ? keys_->data() + keys_->size() : nullptr; }
    // The heap bytes it holds, for progress_store::memory.
    const void* vector() const { return keys_.get(); }
    const void* data() const { return keys_ ? keys_->data() : nullptr; }
    std::size_t capacity() const { return keys_ ? keys_->capacity() : 0; }

private:
    std::unique_ptr<std::vector<erased_key>> keys_;
};

// 40 bytes, 72 with its key in the shard's table: per user, it is what a user with few records
// pays beside them (bench/RESULTS.md, "Store memory and recovery").
struct user_entry {
    user_records records;
    erased_keys erased;
    std::uint64_t generation : 63 = 0;  // of the latest write
    bool queued : 1 = false;  // in the shard's dirty_users
};
static_assert(sizeof(user_entry) <= 40, "user_entry grew: see above");

}  // namespace progressd::store::progress_store_parts

namespace progressd::store {

using progress_store_parts::erased_key;
using progress_store_parts::user_entry;

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
        for (std::size_t i = user->records.dirty_begin(); i < user->records.dirty_end(); ++i) {
            if (user->records[i].dirty) return false;  // its collection has not reached it yet
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
        user.records.mark_dirty(record);
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

}  // namespace progressd::store
