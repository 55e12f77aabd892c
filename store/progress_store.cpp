#include "store/progress_store.hpp"

#include "store/sharding.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace progressd::store {
namespace {

// Orders record keys and lets lookups use string_views without building a key.
struct key_less {
    using is_transparent = void;
    using view = std::pair<std::string_view, std::string_view>;
    static view as_view(const record_key& key) { return {key.context_id, key.content_id}; }
    static view as_view(const view& key) { return key; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return as_view(a) < as_view(b); }
};

struct stored_record {
    progress_record value;
    bool dirty = false;  // already queued in the shard's dirty list
};

using user_records = std::map<record_key, stored_record, key_less>;

struct dirty_key {
    std::string user_id;
    record_key key;
};

}  // namespace

struct alignas(64) progress_store::shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, user_records, string_hash, std::equal_to<>> users;
    std::vector<dirty_key> dirty;
    std::size_t record_count = 0;
    std::mt19937_64 random{std::random_device{}()};

    void mark_dirty(std::string_view user_id, const record_key& key, stored_record* record) {
        if (record) {
            if (record->dirty) return;
            record->dirty = true;
        }
        dirty.push_back({std::string(user_id), key});
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
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_records{}).first;

    auto& records = user->second;
    auto found = records.find(key_less::view{observation.context_id, observation.content_id});
    if (found == records.end()) {
        found = records.emplace(record_key{observation.context_id, observation.content_id}, stored_record{}).first;
        found->second.value.record_id = s.new_record_id();
        ++s.record_count;
    }

    apply_result result;
    result.outcome = merge(found->second.value, observation, rules_, now_ms);
    result.summary = summarize(found->second.value);
    result.generation = generation_.load(std::memory_order_acquire);
    if (!result.outcome.duplicate) s.mark_dirty(user_id, found->first, &found->second);
    return result;
}

overwrite_result progress_store::overwrite(std::string_view user_id, const record_key& key,
                                           const record_overwrite& write, std::int64_t now_ms) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_records{}).first;
    auto& records = user->second;
    auto found = records.find(key);
    if (found == records.end()) {
        found = records.emplace(key, stored_record{}).first;
        found->second.value.record_id = s.new_record_id();
        ++s.record_count;
    }
    const bool was_completed = found->second.value.status == progress_status::completed;
    overwrite_record(found->second.value, write, now_ms);
    s.mark_dirty(user_id, found->first, &found->second);
    const bool is_completed = found->second.value.status == progress_status::completed;
    return {found->second.value, generation_.load(std::memory_order_acquire), is_completed && !was_completed};
}

std::optional<progress_record> progress_store::find(std::string_view user_id, std::string_view context_id,
                                                    std::string_view content_id) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    auto found = user->second.find(key_less::view{context_id, content_id});
    if (found == user->second.end()) return std::nullopt;
    return found->second.value;
}

std::vector<std::optional<progress_record>> progress_store::find_many(std::string_view user_id,
                                                                      std::string_view context_id,
                                                                      const std::vector<std::string>& content_ids) const {
    std::vector<std::optional<progress_record>> found(content_ids.size());
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return found;
    for (std::size_t i = 0; i < content_ids.size(); ++i) {
        auto record = user->second.find(key_less::view{context_id, content_ids[i]});
        if (record != user->second.end()) found[i] = record->second.value;
    }
    return found;
}

std::optional<std::uint64_t> progress_store::erase(std::string_view user_id, std::string_view context_id,
                                                   std::string_view content_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    auto found = user->second.find(key_less::view{context_id, content_id});
    if (found == user->second.end()) return std::nullopt;

    const record_key key = found->first;
    const bool already_queued = found->second.dirty;
    user->second.erase(found);
    --s.record_count;
    // A queued key is written as a tombstone anyway once its record is gone.
    if (!already_queued) s.mark_dirty(user_id, key, nullptr);
    if (user->second.empty()) s.users.erase(user);
    return generation_.load(std::memory_order_acquire);
}

user_page progress_store::list_user(std::string_view user_id, std::size_t offset, std::size_t limit) const {
    user_page page;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return page;
    page.total = user->second.size();
    if (offset >= page.total) return page;
    auto it = std::next(user->second.begin(), static_cast<std::ptrdiff_t>(offset));
    for (; it != user->second.end() && page.records.size() < limit; ++it) {
        page.records.emplace_back(it->first, it->second.value);
    }
    return page;
}

erased_user progress_store::erase_user(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return {};
    erased_user result{user->second.size(), generation_.load(std::memory_order_acquire)};
    // A queued key is written as a tombstone anyway once its record is gone.
    for (const auto& [key, stored] : user->second) {
        if (!stored.dirty) s.mark_dirty(user_id, key, nullptr);
    }
    s.record_count -= user->second.size();
    s.users.erase(user);
    return result;
}

std::vector<std::pair<record_key, progress_record>> progress_store::continue_watching(std::string_view user_id,
                                                                                      std::size_t limit) const {
    std::vector<std::pair<record_key, progress_record>> listing;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end() || limit == 0) return listing;
    std::vector<user_records::const_iterator> candidates;
    for (auto it = user->second.cbegin(); it != user->second.cend(); ++it) {
        const auto& record = it->second.value;
        if (record.status == progress_status::in_progress && !record.hidden) candidates.push_back(it);
    }
    // Newest first; equal times by key, so the order is stable across calls.
    auto newer = [](const auto& a, const auto& b) {
        if (a->second.value.last_accessed_at != b->second.value.last_accessed_at) {
            return a->second.value.last_accessed_at > b->second.value.last_accessed_at;
        }
        return a->first < b->first;
    };
    const std::size_t count = std::min(limit, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count), candidates.end(), newer);
    listing.reserve(count);
    for (std::size_t i = 0; i < count; ++i) listing.emplace_back(candidates[i]->first, candidates[i]->second.value);
    return listing;
}

std::optional<std::uint64_t> progress_store::hide(std::string_view user_id, std::string_view content_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    bool changed = false;
    for (auto& [key, stored] : user->second) {
        if (key.content_id != content_id || stored.value.hidden) continue;
        stored.value.hidden = true;
        s.mark_dirty(user_id, key, &stored);
        changed = true;
    }
    if (!changed) return std::nullopt;
    return generation_.load(std::memory_order_acquire);
}

store_stats progress_store::stats() const {
    store_stats totals;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        totals.records += shards_[i].record_count;
        totals.users += shards_[i].users.size();
        totals.dirty += shards_[i].dirty.size();
    }
    return totals;
}

void progress_store::load(std::string_view user_id, record_key key, const progress_record& record) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_records{}).first;
    auto [it, inserted] = user->second.insert_or_assign(std::move(key), stored_record{record, false});
    if (inserted) ++s.record_count;
}

std::size_t progress_store::collect_dirty(std::size_t shard_index, const dirty_visitor& visit) {
    // A shard can hold tens of thousands of dirty keys after a burst; holding its lock for the
    // whole walk would stall every ping to it for milliseconds. So the lock is let go every few
    // entries. Keys appended meanwhile (by index, so a reallocation is harmless) are collected
    // in this same pass: earlier than their generation needs, which is allowed.
    constexpr std::size_t entries_per_hold = 128;
    shard& s = shards_[shard_index];
    std::unique_lock lock(s.mutex);
    std::size_t index = 0;
    while (index < s.dirty.size()) {
        const dirty_key& entry = s.dirty[index];
        const stored_record* record = nullptr;
        if (auto user = s.users.find(entry.user_id); user != s.users.end()) {
            if (auto found = user->second.find(entry.key); found != user->second.end()) {
                found->second.dirty = false;
                record = &found->second;
            }
        }
        visit(entry.user_id, entry.key, record ? &record->value : nullptr);
        if (++index % entries_per_hold == 0) {
            lock.unlock();
            std::this_thread::yield();  // on a shared core, let a waiting I/O thread take the lock
            lock.lock();
        }
    }
    s.dirty.clear();
    return index;
}

}  // namespace progressd::store
