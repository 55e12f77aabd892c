#include "store/enrolments.hpp"

#include "store/sharding.hpp"
#include "store/enrolment_codec.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace progressd::store {
namespace {

// Orders keys and lets lookups use string_views without building a key.
struct key_less {
    using is_transparent = void;
    using view = std::pair<std::string_view, std::string_view>;
    static view as_view(const enrolment_key& key) { return {key.collection_id, key.context_id}; }
    static view as_view(const view& key) { return key; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return as_view(a) < as_view(b); }
};

using user_enrolments = std::map<enrolment_key, enrolment, key_less>;

struct dirty_key {
    std::string user_id;
    enrolment_key key;
};

}  // namespace

struct alignas(64) enrolment_store::shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, user_enrolments, string_hash, std::equal_to<>> users;
    // Keys changed since the last collect; a key may repeat (the newest state is written).
    std::vector<dirty_key> dirty;
    std::size_t count = 0;
};

enrolment_store::enrolment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation)
    : shard_count_(shard_count), generation_(generation), shards_(new shard[shard_count]) {
    check_shard_count(shard_count);
}

enrolment_store::~enrolment_store() = default;

enrolment_store::shard& enrolment_store::shard_for(std::string_view user_id) const {
    return shards_[shard_index(user_id, shard_count_)];
}

std::optional<std::uint64_t> enrolment_store::ensure(std::string_view user_id, std::string_view collection_id,
                                                     std::string_view context_id, std::int64_t now_ms) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user != s.users.end() && user->second.contains(key_less::view{collection_id, context_id})) return std::nullopt;
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_enrolments{}).first;
    enrolment_key key{std::string(collection_id), std::string(context_id)};
    user->second.emplace(key, enrolment{now_ms, 0, true, true, now_ms});
    ++s.count;
    s.dirty.push_back({std::string(user_id), std::move(key)});
    return generation_.load(std::memory_order_acquire);
}

enrolment_write enrolment_store::put(std::string_view user_id, enrolment_key key, const enrolment_update& update,
                                     std::int64_t now_ms) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_enrolments{}).first;
    auto [found, created] = user->second.try_emplace(key, enrolment{now_ms, 0, true, false, now_ms});
    if (created) ++s.count;
    enrolment& value = found->second;
    if (update.enrolled_at) value.enrolled_at = *update.enrolled_at;
    if (update.expires_at) value.expires_at = *update.expires_at;
    if (update.active) value.active = *update.active;
    value.implicit = false;  // an explicit write makes it explicit
    value.updated_at = now_ms;
    s.dirty.push_back({std::string(user_id), std::move(key)});
    return {created, value, generation_.load(std::memory_order_acquire)};
}

std::optional<enrolment> enrolment_store::find(std::string_view user_id, std::string_view collection_id,
                                               std::string_view context_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    auto found = user->second.find(key_less::view{collection_id, context_id});
    if (found == user->second.end()) return std::nullopt;
    return found->second;
}

std::vector<std::pair<enrolment_key, enrolment>> enrolment_store::list_user(std::string_view user_id) const {
    std::vector<std::pair<enrolment_key, enrolment>> listing;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return listing;
    listing.assign(user->second.begin(), user->second.end());
    return listing;
}

std::vector<enrolment_store::collection_member> enrolment_store::list_collection(
    std::string_view collection_id) const {
    std::vector<collection_member> members;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        for (const auto& [user_id, keys] : s.users) {
            for (auto it = keys.lower_bound(key_less::view{collection_id, std::string_view()});
                 it != keys.end() && it->first.collection_id == collection_id; ++it) {
                members.push_back({user_id, it->first.context_id, it->second});
            }
        }
    }
    std::sort(members.begin(), members.end(), [](const collection_member& a, const collection_member& b) {
        return std::tie(a.user_id, a.context_id) < std::tie(b.user_id, b.context_id);
    });
    return members;
}

std::optional<std::uint64_t> enrolment_store::erase(std::string_view user_id, std::string_view collection_id,
                                                    std::string_view context_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    auto found = user->second.find(key_less::view{collection_id, context_id});
    if (found == user->second.end()) return std::nullopt;
    s.dirty.push_back({std::string(user_id), found->first});
    user->second.erase(found);
    --s.count;
    if (user->second.empty()) s.users.erase(user);
    return generation_.load(std::memory_order_acquire);
}

erased_user enrolment_store::erase_user(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return {};
    for (const auto& [key, value] : user->second) s.dirty.push_back({std::string(user_id), key});
    const erased_user result{user->second.size(), generation_.load(std::memory_order_acquire)};
    s.count -= user->second.size();
    s.users.erase(user);
    return result;
}

std::size_t enrolment_store::size() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        total += shards_[i].count;
    }
    return total;
}

void enrolment_store::load(std::string_view user_id, enrolment_key key, const enrolment& value) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_enrolments{}).first;
    if (user->second.insert_or_assign(std::move(key), value).second) ++s.count;
}

std::size_t enrolment_store::collect_changes(const change_visitor& emit) {
    std::size_t collected = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        // The newest state of each key: present → its value, gone → a tombstone. A key listed
        // twice is written twice with the same state, which LMDB absorbs.
        for (const auto& entry : s.dirty) {
            std::optional<std::string> value;
            if (auto user = s.users.find(entry.user_id); user != s.users.end()) {
                if (auto found = user->second.find(entry.key); found != user->second.end()) {
                    value = encode_enrolment(found->second);
                }
            }
            emit(encode_enrolment_key(entry.user_id, entry.key), std::move(value));
        }
        collected += s.dirty.size();
        s.dirty.clear();
    }
    return collected;
}

}  // namespace progressd::store
