#pragma once
// Enrolments (docs/data-model.md): (user_id, collection_id, context_id) with enrolled_at, expires_at,
// active. Created explicitly through the API, or implicitly by the first progress inside a
// context (app/ping_effects.hpp). Progress is never gated on them: they record who follows
// which collection in which batch.
//
// Thread-safety: all members may be called from any thread. Like the progress store, the
// enrolments live in shards chosen by a hash of the user id, each with its own mutex
// (store/user_keyed_shards.hpp), so one user's enrolments change under one lock and nothing is
// atomic across users. Readers get copies. Changes are marked dirty and collected by the
// persister (dirty_source), with the store's generation counter.

#include "store/dirty_source.hpp"
#include "store/erasure.hpp"
#include "store/user_keyed_shards.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::store {

struct enrolment_key {
    std::string collection_id;
    std::string context_id;  // may be empty: an enrolment outside any batch

    friend auto operator<=>(const enrolment_key&, const enrolment_key&) = default;
};

struct enrolment {
    std::int64_t enrolled_at = 0;  // ms since epoch
    std::int64_t expires_at = 0;   // 0: never
    bool active = true;
    bool implicit = false;  // created by progress, not through the API
    std::int64_t updated_at = 0;

    bool expired(std::int64_t now_ms) const { return expires_at != 0 && now_ms >= expires_at; }
    friend bool operator==(const enrolment&, const enrolment&) = default;
};

// An explicit write: the fields given are set; on creation the others take their defaults
// (enrolled now, active, never expiring).
struct enrolment_update {
    std::optional<std::int64_t> enrolled_at{};
    std::optional<std::int64_t> expires_at{};  // 0: never
    std::optional<bool> active{};
};

struct enrolment_write {
    bool created = false;
    enrolment stored;
    std::uint64_t generation = 0;
};

// Orders an enrolment's keys, and lets lookups use a pair of string_views without building one.
struct enrolment_key_less {
    using is_transparent = void;
    using view = std::pair<std::string_view, std::string_view>;  // collection_id, context_id
    static view as_view(const enrolment_key& key) { return {key.collection_id, key.context_id}; }
    static view as_view(const view& key) { return key; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return as_view(a) < as_view(b); }
};

class enrolment_store : public dirty_source {
public:
    // `generation` is the store's flush counter (progress_store::generation_counter()).
    enrolment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation);

    // Implicit enrolment: creates it when absent. Returns the generation when it did.
    std::optional<std::uint64_t> ensure(std::string_view user_id, std::string_view collection_id,
                                        std::string_view context_id, std::int64_t now_ms);
    enrolment_write put(std::string_view user_id, enrolment_key key, const enrolment_update& update,
                        std::int64_t now_ms);
    std::optional<enrolment> find(std::string_view user_id, std::string_view collection_id,
                                  std::string_view context_id) const;
    // Ordered by (collection_id, context_id).
    std::vector<std::pair<enrolment_key, enrolment>> list_user(std::string_view user_id) const;
    // Every user's enrolments in `collection_id` (any context), ordered by (user_id, context_id).
    // Visits every shard in turn (one lock at a time): an administrative listing, not a hot path.
    struct collection_member {
        std::string user_id;
        std::string context_id;
        enrolment value;
    };
    std::vector<collection_member> list_collection(std::string_view collection_id) const;
    // nullopt when there was nothing to remove.
    std::optional<std::uint64_t> erase(std::string_view user_id, std::string_view collection_id,
                                       std::string_view context_id);
    erased_user erase_user(std::string_view user_id);

    std::size_t size() const;

    // Recovery: an enrolment read back from LMDB, clean (not dirty).
    void load(std::string_view user_id, enrolment_key key, const enrolment& value);

    // Cluster mode's cache of users (app/resident_users.hpp; the rules in user_keyed_shards.hpp).
    using user_entries = user_keyed_shards<enrolment_key, enrolment, enrolment_key_less>::entries;
    // An estimate of the memory the user's enrolments take, in bytes.
    std::size_t user_bytes(std::string_view user_id) const;
    // Takes the user's enrolments out of memory when every change of it is committed
    // (generation ≤ durable_generation, nothing waiting to be collected): those taken, or
    // nullopt when something is not committed. load() puts them back.
    std::optional<user_entries> evict(std::string_view user_id, std::uint64_t durable_generation);
    bool evictable(std::string_view user_id, std::uint64_t durable_generation) const;
    // Removes the user's enrolments and forgets its uncollected changes, whatever their state.
    void drop_user(std::string_view user_id);

    std::size_t collect_changes(const change_visitor& emit) override;

private:
    user_keyed_shards<enrolment_key, enrolment, enrolment_key_less> shards_;
};

}  // namespace progressd::store
