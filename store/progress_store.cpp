#include "store/progress_store.hpp"

#include "store/progress_store_shard.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace progressd::store {

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
    // ping, in instructions, is in bench/RESULTS.md ("Figures behind design choices").
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
    return std::uint64_t{user->second.generation};
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
    struct candidate {
        std::int64_t last_accessed_at = 0;  // decoded once, not in every comparison
        std::size_t index = 0;
    };
    std::vector<candidate> candidates;
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].status == progress_status::in_progress && !records[i].hidden) {
            candidates.push_back({last_accessed_at(records[i]), i});
        }
    }
    // Newest first; equal times by key, so the order is stable across calls.
    auto newer = [&records, &s](const candidate& a, const candidate& b) {
        if (a.last_accessed_at != b.last_accessed_at) return a.last_accessed_at > b.last_accessed_at;
        return key_text_less(s.strings, records[a.index], records[b.index]);
    };
    const std::size_t count = std::min(limit, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count), candidates.end(), newer);
    listing.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const packed_record& record = records[candidates[i].index];
        listing.emplace_back(s.key_of(record), unpack(record, s.strings));
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
    return std::uint64_t{user->second.generation};
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

void progress_store::loaded(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    const auto user = s.users.find(user_id);
    if (user != s.users.end()) user->second.records.shrink_to_fit();
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
        // Read again every visit: a change during a pause moves the range with the records.
        for (std::size_t i = user->records.dirty_begin(); present && i < user->records.dirty_end(); ++i) {
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
        if (!present || user->queued) continue;
        // Not queued again, so nothing changed the user during the walk's pauses: the walk has
        // cleared every flag in the range.
        user->records.all_clean();
        if (user->records.empty() && user->erased.empty()) {
            s.emptied_generation = std::max(s.emptied_generation, user->generation);
            s.users.erase(user_id);
        }
    }
    // Freed rather than cleared: after a burst it would keep its peak size for good.
    std::vector<std::string>().swap(s.dirty_users);
    return visits;
}

}  // namespace progressd::store
