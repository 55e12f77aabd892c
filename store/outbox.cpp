#include "store/outbox.hpp"

#include "store/codec/event_codec.hpp"
#include "store/partition.hpp"

#include <algorithm>

namespace progressd::store {

std::chrono::milliseconds retry_policy::backoff_after(std::uint32_t failures) const {
    auto wait = first_backoff;
    for (std::uint32_t i = 1; i < failures && wait < max_backoff; ++i) wait *= 2;
    return std::min(wait, max_backoff);
}

event_outbox::event_outbox(const std::atomic<std::uint64_t>& generation, retry_policy policy)
    : generation_(generation), policy_(policy) {}

std::string event_outbox::key_of(const progress_event& event, std::string_view webhook_id) {
    std::string key = event.id;
    key += '/';
    key += webhook_id;
    return key;
}

std::uint64_t event_outbox::publish(const progress_event& event, const webhook_list& targets, std::int64_t now_ms) {
    if (targets.empty()) return 0;
    std::lock_guard lock(mutex_);
    const std::uint64_t generation = generation_.load(std::memory_order_acquire);
    for (const auto& target : targets) {
        auto key = key_of(event, target.id);
        dirty_.insert(key);
        if (auto old = entries_.find(key); old != entries_.end()) {  // the same event again: replaced
            if (!old->second.in_flight) waiting_.erase({old->second.value.next_attempt_at, key});
        }
        waiting_.emplace(now_ms, key);
        entries_.insert_or_assign(std::move(key), entry{delivery{target.id, event, 0, now_ms, {}}, generation, false});
    }
    return generation;
}

std::vector<event_outbox::due_delivery> event_outbox::take_due(std::int64_t now_ms, std::uint64_t durable_generation,
                                                               std::size_t limit) {
    std::lock_guard lock(mutex_);
    std::vector<due_delivery> taken;
    // Only deliveries published since the last commit are passed over: at most one flush's worth.
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first <= now_ms && taken.size() < limit;) {
        auto found = entries_.find(it->second);
        if (found->second.generation > durable_generation) {
            ++it;
            continue;
        }
        found->second.in_flight = true;
        taken.push_back({found->first, found->second.value});
        it = waiting_.erase(it);
    }
    return taken;
}

bool event_outbox::finish(const std::string& key, delivery_outcome outcome, std::int64_t now_ms, std::string error) {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) return false;  // dropped meanwhile (its webhook went away)
    dirty_.insert(key);
    if (outcome != delivery_outcome::failed) {
        ++(outcome == delivery_outcome::delivered ? counters_.delivered : counters_.dropped);
        entries_.erase(found);
        return false;
    }
    ++counters_.failed_attempts;
    delivery& value = found->second.value;
    ++value.attempts;
    value.last_error = std::move(error);
    if (value.attempts >= policy_.max_attempts) {
        ++counters_.dropped;
        entries_.erase(found);
        return true;
    }
    value.next_attempt_at = now_ms + policy_.backoff_after(value.attempts).count();
    found->second.in_flight = false;
    waiting_.emplace(value.next_attempt_at, key);
    return false;
}

std::size_t event_outbox::drop_webhook(std::string_view webhook_id) {
    std::lock_guard lock(mutex_);
    std::size_t dropped = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.value.webhook_id == webhook_id) {
            dirty_.insert(it->first);
            if (!it->second.in_flight) waiting_.erase({it->second.value.next_attempt_at, it->first});
            it = entries_.erase(it);
            ++dropped;
            ++counters_.dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

std::size_t event_outbox::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

outbox_stats event_outbox::stats() const {
    std::lock_guard lock(mutex_);
    outbox_stats result = counters_;
    result.pending = entries_.size();
    return result;
}

void event_outbox::load(std::string key, delivery value) {
    std::lock_guard lock(mutex_);
    if (auto old = entries_.find(key); old != entries_.end()) waiting_.erase({old->second.value.next_attempt_at, key});
    waiting_.emplace(value.next_attempt_at, key);
    entries_.insert_or_assign(std::move(key), entry{std::move(value), 0, false});
}

std::size_t event_outbox::adopt(std::vector<std::pair<std::string, delivery>> deliveries) {
    std::lock_guard lock(mutex_);
    std::size_t added = 0;
    for (auto& [key, value] : deliveries) {
        if (entries_.contains(key)) continue;
        waiting_.emplace(value.next_attempt_at, key);
        entries_.emplace(std::move(key), entry{std::move(value), 0, false});
        ++added;
    }
    return added;
}

std::size_t event_outbox::drop_partitions(std::span<const std::uint32_t> partitions) {
    if (partitions.empty()) return 0;
    std::vector<bool> gone(partition_count, false);
    for (const std::uint32_t partition : partitions) {
        if (partition < partition_count) gone[partition] = true;
    }
    std::lock_guard lock(mutex_);
    std::size_t dropped = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (!gone[partition_of(it->second.value.event.user_id)]) {
            ++it;
            continue;
        }
        if (!it->second.in_flight) waiting_.erase({it->second.value.next_attempt_at, it->first});
        if (auto dirty = dirty_.find(it->first); dirty != dirty_.end()) dirty_.erase(dirty);
        it = entries_.erase(it);
        ++dropped;
    }
    return dropped;
}

std::size_t event_outbox::collect_changes(const change_visitor& emit) {
    std::lock_guard lock(mutex_);
    const std::size_t count = dirty_.size();
    for (const auto& key : dirty_) {
        auto found = entries_.find(key);
        emit(key, found == entries_.end() ? std::nullopt : std::optional<std::string>(encode_delivery(found->second.value)));
    }
    dirty_.clear();
    return count;
}

}  // namespace progressd::store
