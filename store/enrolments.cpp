#include "store/enrolments.hpp"

#include "store/codec/enrolment_codec.hpp"

#include <algorithm>
#include <tuple>

namespace progressd::store {

namespace {
using locked_user = user_keyed_shards<enrolment_key, enrolment, enrolment_key_less>::locked_user;
}  // namespace

enrolment_store::enrolment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation)
    : shards_(shard_count, generation) {}

std::optional<std::uint64_t> enrolment_store::ensure(std::string_view user_id, std::string_view collection_id,
                                                     std::string_view context_id, std::int64_t now_ms) {
    return shards_.modify(user_id, [&](locked_user& user) -> std::optional<std::uint64_t> {
        const auto* existing = user.existing();
        if (existing != nullptr && existing->contains(enrolment_key_less::view{collection_id, context_id})) {
            return std::nullopt;
        }
        enrolment_key key{std::string(collection_id), std::string(context_id)};
        user.create().emplace(key, enrolment{now_ms, 0, true, true, now_ms});
        user.changed(key);
        return user.generation();
    });
}

enrolment_write enrolment_store::put(std::string_view user_id, enrolment_key key, const enrolment_update& update,
                                     std::int64_t now_ms) {
    return shards_.modify(user_id, [&](locked_user& user) {
        auto [found, created] = user.create().try_emplace(key, enrolment{now_ms, 0, true, false, now_ms});
        enrolment& value = found->second;
        if (update.enrolled_at) value.enrolled_at = *update.enrolled_at;
        if (update.expires_at) value.expires_at = *update.expires_at;
        if (update.active) value.active = *update.active;
        value.implicit = false;  // an explicit write makes it explicit
        value.updated_at = now_ms;
        user.changed(key);
        return enrolment_write{created, value, user.generation()};
    });
}

std::optional<enrolment> enrolment_store::find(std::string_view user_id, std::string_view collection_id,
                                               std::string_view context_id) const {
    return shards_.find(user_id, enrolment_key_less::view{collection_id, context_id});
}

std::vector<std::pair<enrolment_key, enrolment>> enrolment_store::list_user(std::string_view user_id) const {
    return shards_.list_user(user_id);
}

std::vector<enrolment_store::collection_member> enrolment_store::list_collection(
    std::string_view collection_id) const {
    std::vector<collection_member> members;
    shards_.for_each_user([&](std::string_view user_id, const auto& keys) {
        for (auto it = keys.lower_bound(enrolment_key_less::view{collection_id, std::string_view()});
             it != keys.end() && it->first.collection_id == collection_id; ++it) {
            members.push_back({std::string(user_id), it->first.context_id, it->second});
        }
    });
    std::sort(members.begin(), members.end(), [](const collection_member& a, const collection_member& b) {
        return std::tie(a.user_id, a.context_id) < std::tie(b.user_id, b.context_id);
    });
    return members;
}

std::optional<std::uint64_t> enrolment_store::erase(std::string_view user_id, std::string_view collection_id,
                                                    std::string_view context_id) {
    return shards_.erase(user_id, enrolment_key_less::view{collection_id, context_id});
}

erased_user enrolment_store::erase_user(std::string_view user_id) { return shards_.erase_user(user_id); }

std::size_t enrolment_store::size() const { return shards_.size(); }

void enrolment_store::load(std::string_view user_id, enrolment_key key, const enrolment& value) {
    shards_.load(user_id, std::move(key), value);
}

std::size_t enrolment_store::user_bytes(std::string_view user_id) const {
    return shards_.user_bytes(user_id, [](const enrolment_key& key, const enrolment&) {
        return sizeof(enrolment_key) + sizeof(enrolment) + key.collection_id.capacity() + key.context_id.capacity();
    });
}

std::optional<enrolment_store::user_entries> enrolment_store::evict(std::string_view user_id,
                                                                    std::uint64_t durable_generation) {
    return shards_.evict(user_id, durable_generation);
}

bool enrolment_store::evictable(std::string_view user_id, std::uint64_t durable_generation) const {
    return shards_.evictable(user_id, durable_generation);
}

void enrolment_store::drop_user(std::string_view user_id) { shards_.drop(user_id); }

std::size_t enrolment_store::collect_changes(const change_visitor& emit) {
    // Each listed key's newest state: present → its value, gone → a tombstone. A key listed twice
    // is written twice with the same state, which LMDB absorbs.
    return shards_.collect([&](std::string_view user_id, const enrolment_key& key, const enrolment* value) {
        emit(encode_enrolment_key(user_id, key), value ? std::optional(encode_enrolment(*value)) : std::nullopt);
    });
}

}  // namespace progressd::store
