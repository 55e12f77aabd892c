#pragma once
// What the enrolment and assessment stores share: per user, an ordered map of Key → Value, kept
// in shards chosen by a hash of the user id, a mutex each; every changed key is listed for the
// persister, which writes its newest state (or deletes it) when it collects.
//
// Each store writes its own rules as changes run under a user's shard lock (modify), and reads
// through read; the rest (find, list, erase, load, collect) is the same for both and lives here.
//
// The generation contract is dirty_source's: a change reads the store's flush generation under
// the shard lock it changed under (locked_user::generation), and collect runs under that lock too.
//
// Cluster mode keeps only some users in memory (app/resident_users.hpp), so a user can leave:
// evict() when every change of it is durable, drop() whatever its state. Each user remembers the
// generation of its latest change and whether a change of it is listed; a user whose last entry
// went (its slot removed) leaves that generation in its shard's `emptied_generation`, which then
// stands for every user the shard has no slot for, so a removal not yet committed still blocks
// an eviction.
//
// Thread-safety: every member may be called from any thread; one user's entries change under one
// lock, nothing is atomic across users. Callbacks run under a shard lock: they must not call back
// into the same object.

#include "store/erasure.hpp"
#include "store/sharding.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace progressd::store {

template <class Key, class Value, class Less = std::less<Key>>
class user_keyed_shards {
public:
    using entries = std::map<Key, Value, Less>;

private:
    struct dirty_key {
        std::string user_id;
        Key key;
    };
    struct user_slot {
        entries map{};
        std::uint64_t generation = 0;  // of the latest change
        bool listed = false;           // a change is in `dirty`, not yet collected
    };
    struct alignas(64) shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, user_slot, string_hash, std::equal_to<>> users;
        std::vector<dirty_key> dirty;  // a key may repeat: its newest state is written once per listing
        std::size_t count = 0;
        std::uint64_t emptied_generation = 0;  // the latest change of a user whose slot was removed

        // Whether everything of the user is committed, durable being the persister's generation.
        bool settled(std::string_view user_id, std::uint64_t durable) const {
            const auto user = users.find(user_id);
            if (user == users.end()) return emptied_generation <= durable;
            return !user->second.listed && user->second.generation <= durable;
        }
    };

public:
    // One user's entries while modify holds the shard lock. On destruction it keeps the shard's
    // count and drops the user once no entry is left, whatever the change did.
    class locked_user {
    public:
        locked_user(shard& owner, std::string_view user_id, const std::atomic<std::uint64_t>& generation)
            : shard_(owner), user_id_(user_id), generation_(generation), user_(owner.users.find(user_id)),
              size_before_(user_ == owner.users.end() ? 0 : user_->second.map.size()) {}
        ~locked_user() {
            if (user_ == shard_.users.end()) return;
            shard_.count = shard_.count - size_before_ + user_->second.map.size();
            if (!user_->second.map.empty()) return;
            shard_.emptied_generation = std::max(shard_.emptied_generation, user_->second.generation);
            shard_.users.erase(user_);
        }
        locked_user(const locked_user&) = delete;
        locked_user& operator=(const locked_user&) = delete;

        // The user's entries, nullptr when there are none.
        entries* existing() { return user_ == shard_.users.end() ? nullptr : &user_->second.map; }
        // The user's entries, created empty when there are none. A new slot starts at the shard's
        // emptied generation: an earlier slot of the user may have left a change uncommitted.
        entries& create() {
            if (user_ == shard_.users.end()) {
                user_ = shard_.users.emplace(std::string(user_id_), user_slot{{}, shard_.emptied_generation}).first;
            }
            return user_->second.map;
        }
        // Lists `key` for the persister: its state at the next collect is written.
        void changed(const Key& key) {
            create();
            user_->second.generation = generation();
            user_->second.listed = true;
            shard_.dirty.push_back({std::string(user_id_), key});
        }
        // The flush generation a change made now belongs to.
        std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    private:
        shard& shard_;
        std::string_view user_id_;
        const std::atomic<std::uint64_t>& generation_;
        typename decltype(shard::users)::iterator user_;
        std::size_t size_before_;
    };

    // `generation` is the store's flush counter (progress_store::generation_counter()).
    user_keyed_shards(std::size_t shard_count, const std::atomic<std::uint64_t>& generation)
        : shard_count_((check_shard_count(shard_count), shard_count)), generation_(generation),
          shards_(new shard[shard_count]) {}

    // Runs `change(locked_user&)` under the user's shard lock; returns what it returns (by value).
    template <class Change>
    auto modify(std::string_view user_id, Change&& change) {
        shard& s = shard_for(user_id);
        std::lock_guard lock(s.mutex);
        locked_user user(s, user_id, generation_);
        return std::forward<Change>(change)(user);
    }

    // Runs `read(const entries*)` (nullptr when the user has none) under the user's shard lock.
    template <class Read>
    auto read(std::string_view user_id, Read&& read) const {
        const shard& s = shard_for(user_id);
        std::lock_guard lock(s.mutex);
        const auto user = s.users.find(user_id);
        return std::forward<Read>(read)(user == s.users.end() ? nullptr : &user->second.map);
    }

    // A copy of one entry; `key` is anything the map's ordering compares with Key.
    template <class K>
    std::optional<Value> find(std::string_view user_id, const K& key) const {
        return read(user_id, [&](const entries* user) -> std::optional<Value> {
            if (user == nullptr) return std::nullopt;
            const auto found = user->find(key);
            if (found == user->end()) return std::nullopt;
            return found->second;
        });
    }

    // A copy of the user's entries, in key order.
    std::vector<std::pair<Key, Value>> list_user(std::string_view user_id) const {
        return read(user_id, [](const entries* user) {
            return user == nullptr ? std::vector<std::pair<Key, Value>>{}
                                   : std::vector<std::pair<Key, Value>>(user->begin(), user->end());
        });
    }

    // Visits every user, `visit(user_id, const entries&)`, shard by shard (one lock at a time):
    // for administrative listings, not a hot path.
    template <class Visit>
    void for_each_user(Visit&& visit) const {
        for (std::size_t i = 0; i < shard_count_; ++i) {
            const shard& s = shards_[i];
            std::lock_guard lock(s.mutex);
            for (const auto& [user_id, user] : s.users) visit(std::string_view(user_id), user.map);
        }
    }

    // Removes one entry: the generation of the removal, nullopt when there was none.
    template <class K>
    std::optional<std::uint64_t> erase(std::string_view user_id, const K& key) {
        return modify(user_id, [&](locked_user& user) -> std::optional<std::uint64_t> {
            entries* existing = user.existing();
            if (existing == nullptr) return std::nullopt;
            const auto found = existing->find(key);
            if (found == existing->end()) return std::nullopt;
            user.changed(found->first);
            existing->erase(found);
            return user.generation();
        });
    }

    erased_user erase_user(std::string_view user_id) {
        return modify(user_id, [](locked_user& user) -> erased_user {
            entries* existing = user.existing();
            if (existing == nullptr || existing->empty()) return {};
            for (const auto& entry : *existing) user.changed(entry.first);
            const erased_user result{existing->size(), user.generation()};
            existing->clear();
            return result;
        });
    }

    // Recovery: an entry read back from LMDB, clean (not listed for the persister).
    void load(std::string_view user_id, Key key, Value value) {
        modify(user_id, [&](locked_user& user) { user.create().insert_or_assign(std::move(key), std::move(value)); });
    }

    // An estimate of the memory the user's entries take: the sum of `entry_bytes(key, value)`
    // over them plus the map's own overhead; 0 when the user has none.
    template <class EntryBytes>
    std::size_t user_bytes(std::string_view user_id, EntryBytes&& entry_bytes) const {
        return read(user_id, [&](const entries* user) -> std::size_t {
            if (user == nullptr) return 0;
            constexpr std::size_t node_overhead = 4 * sizeof(void*);  // a red-black node's links and colour
            std::size_t bytes = sizeof(user_slot) + user_id.size() + 2 * sizeof(void*);
            for (const auto& [key, value] : *user) bytes += node_overhead + entry_bytes(key, value);
            return bytes;
        });
    }

    // Takes the user's entries out of memory when everything of it is committed: nothing listed
    // and its latest change's generation ≤ `durable` (the persister's durable generation; the
    // listing is cleared when collected, before the commit, so it alone is not enough). The
    // entries taken (none when the user had none), or nullopt when something is not committed.
    std::optional<entries> evict(std::string_view user_id, std::uint64_t durable) {
        shard& s = shard_for(user_id);
        std::lock_guard lock(s.mutex);
        if (!s.settled(user_id, durable)) return std::nullopt;
        const auto user = s.users.find(user_id);
        if (user == s.users.end()) return entries{};
        entries taken = std::move(user->second.map);
        s.count -= taken.size();
        s.users.erase(user);
        return taken;
    }

    // Whether evict() would take the user out now.
    bool evictable(std::string_view user_id, std::uint64_t durable) const {
        const shard& s = shard_for(user_id);
        std::lock_guard lock(s.mutex);
        return s.settled(user_id, durable);
    }

    // Removes the user's entries whatever their state, with its listed changes, which are never
    // written: the user's partition went to another node, which reloads it from PostgreSQL.
    void drop(std::string_view user_id) {
        shard& s = shard_for(user_id);
        std::lock_guard lock(s.mutex);
        // A user without a slot may still have listed changes (its last entry was removed).
        std::erase_if(s.dirty, [&](const dirty_key& listed) { return listed.user_id == user_id; });
        const auto user = s.users.find(user_id);
        if (user == s.users.end()) return;
        s.count -= user->second.map.size();
        s.users.erase(user);
    }

    std::size_t size() const {
        std::size_t total = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::lock_guard lock(shards_[i].mutex);
            total += shards_[i].count;
        }
        return total;
    }

    // Hands each listed key to `emit(user_id, key, const Value*)`, the entry's newest state or
    // nullptr when it is gone, and forgets the listing. Returns how many it handed over.
    template <class Emit>
    std::size_t collect(Emit&& emit) {
        std::size_t collected = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            shard& s = shards_[i];
            std::lock_guard lock(s.mutex);
            for (const auto& entry : s.dirty) {
                const Value* value = nullptr;
                if (const auto user = s.users.find(entry.user_id); user != s.users.end()) {
                    user->second.listed = false;
                    if (const auto found = user->second.map.find(entry.key); found != user->second.map.end()) {
                        value = &found->second;
                    }
                }
                emit(std::string_view(entry.user_id), entry.key, value);
            }
            collected += s.dirty.size();
            s.dirty.clear();
        }
        return collected;
    }

private:
    shard& shard_for(std::string_view user_id) const { return shards_[shard_index(user_id, shard_count_)]; }

    std::size_t shard_count_;
    const std::atomic<std::uint64_t>& generation_;
    std::unique_ptr<shard[]> shards_;
};

}  // namespace progressd::store
