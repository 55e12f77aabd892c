#include "store/webhooks.hpp"

#include "store/codec/event_codec.hpp"

#include <algorithm>

namespace progressd::store {

webhook_registry::webhook_registry(const std::atomic<std::uint64_t>& generation)
    : generation_(generation), snapshot_(std::make_shared<const webhook_list>()) {}

std::shared_ptr<const webhook_list> webhook_registry::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

std::optional<webhook> webhook_registry::find(std::string_view id) const {
    std::lock_guard lock(mutex_);
    auto found = hooks_.find(id);
    if (found == hooks_.end()) return std::nullopt;
    return found->second;
}

webhook_list webhook_registry::targets_for(event_type type) const {
    const auto all = snapshot();
    webhook_list targets;
    for (const auto& hook : *all) {
        if (!hook.wants(type)) continue;
        const bool same_url_taken = std::any_of(targets.begin(), targets.end(),
                                                [&](const webhook& taken) { return taken.target_url == hook.target_url; });
        if (!same_url_taken) targets.push_back(hook);
    }
    return targets;
}

std::optional<std::uint64_t> webhook_registry::create(webhook value) {
    std::lock_guard lock(mutex_);
    if (hooks_.size() >= max_webhooks || hooks_.contains(value.id)) return std::nullopt;
    const std::string id = value.id;
    hooks_.emplace(id, std::move(value));
    return changed(id);
}

std::optional<std::uint64_t> webhook_registry::update(std::string_view id, const std::function<void(webhook&)>& change) {
    std::lock_guard lock(mutex_);
    auto found = hooks_.find(id);
    if (found == hooks_.end()) return std::nullopt;
    change(found->second);
    found->second.id = found->first;  // the id is the key: a change cannot move it
    return changed(found->first);
}

std::optional<std::uint64_t> webhook_registry::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto found = hooks_.find(id);
    if (found == hooks_.end()) return std::nullopt;
    const std::string key = found->first;
    hooks_.erase(found);
    return changed(key);
}

void webhook_registry::load(webhook value) {
    std::lock_guard lock(mutex_);
    const std::string id = value.id;
    hooks_.insert_or_assign(id, std::move(value));
    republish();
}

bool webhook_registry::apply_one(const std::string& id, webhook* row) {
    if (dirty_.contains(id)) return false;
    const auto held = hooks_.find(id);
    if (!row) {
        if (held == hooks_.end()) return false;
        hooks_.erase(held);
        return true;
    }
    if (held != hooks_.end() && held->second == *row) return false;
    hooks_.insert_or_assign(id, std::move(*row));
    return true;
}

std::size_t webhook_registry::apply_remote(const std::vector<std::string>& ids, std::vector<webhook> rows) {
    std::lock_guard lock(mutex_);
    std::size_t changed = 0;
    for (const auto& id : ids) {
        const auto row = std::find_if(rows.begin(), rows.end(), [&](const webhook& hook) { return hook.id == id; });
        if (apply_one(id, row == rows.end() ? nullptr : &*row)) ++changed;
    }
    if (changed > 0) republish();
    return changed;
}

std::size_t webhook_registry::replace_remote(std::vector<webhook> rows) {
    std::lock_guard lock(mutex_);
    std::size_t changed = 0;
    std::vector<std::string> gone;
    for (const auto& entry : hooks_) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const std::string& id = entry.first;
        const bool kept = std::any_of(rows.begin(), rows.end(), [&](const webhook& row) { return row.id == id; });
        if (!kept) gone.push_back(id);
    }
    for (const auto& id : gone) {
        if (apply_one(id, nullptr)) ++changed;
    }
    for (auto& row : rows) {
        const std::string id = row.id;
        if (apply_one(id, &row)) ++changed;
    }
    if (changed > 0) republish();
    return changed;
}

std::uint64_t webhook_registry::changed(const std::string& id) {
    dirty_.insert(id);
    republish();
    return generation_.load(std::memory_order_acquire);
}

void webhook_registry::republish() {
    auto list = std::make_shared<webhook_list>();
    for (const auto& [key, hook] : hooks_) list->push_back(hook);
    any_active_.store(std::any_of(list->begin(), list->end(), [](const webhook& hook) { return hook.active; }),
                      std::memory_order_release);
    snapshot_ = std::move(list);
}

std::size_t webhook_registry::collect_changes(const change_visitor& emit) {
    std::lock_guard lock(mutex_);
    const std::size_t count = dirty_.size();
    for (const auto& id : dirty_) {
        auto found = hooks_.find(id);
        emit(id, found == hooks_.end() ? std::nullopt : std::optional<std::string>(encode_webhook(found->second)));
    }
    dirty_.clear();
    return count;
}

}  // namespace progressd::store
