#pragma once
// The in-memory progress maps: every read and write of progress goes through here.
//
// Thread-safety: all public members may be called from any thread. Records live in N shards
// chosen by a hash of the user id, each with its own mutex, so everything about one user is in
// one shard and per-user operations are atomic. Nothing is atomic across users. Callers never
// get references into a shard: reads return copies and callbacks run under the shard lock, so a
// lock lasts exactly as long as the call. Never log, allocate heavily or do I/O in a callback.
//
// Durability bookkeeping: each write marks its record dirty and returns the flush generation it
// belongs to. The persister (the only LMDB writer) calls begin_flush() and then collect_dirty()
// per shard; once that batch commits, every write that returned a generation ≤ the one
// begin_flush() returned is durable. Generation is read under the shard lock and begin_flush()
// bumps it before taking any shard lock, so a write is always collected by the batch whose
// generation it was given, or by an earlier one.

#include "store/erasure.hpp"
#include "store/merge.hpp"
#include "store/overwrite.hpp"
#include "store/ping.hpp"
#include "store/record.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

struct apply_result {
    merge_outcome outcome;
    record_summary summary;
    std::uint64_t generation = 0;  // durable once the persister has committed this generation
};

struct overwrite_result {
    progress_record record;  // after the write
    std::uint64_t generation = 0;
    bool became_completed = false;  // the write completed a record that was not completed
};

struct user_page {
    std::size_t total = 0;  // all records of the user
    std::vector<std::pair<record_key, progress_record>> records;  // ordered by (context, content)
};

struct store_stats {
    std::size_t records = 0;
    std::size_t users = 0;
    std::size_t dirty = 0;
};

// What the store's own structures take, in bytes, split by what they grow with (a count from the
// structures, not from the allocator: bench/scale.cpp sets it beside the process's RSS).
struct store_memory {
    std::size_t records = 0;
    std::size_t users = 0;
    // Per user: its slot in the shard's table (key and entry; the table's empty slots shared
    // out), a user id too long for the string's own buffer, its vectors' allocation headers.
    std::size_t user_bytes = 0;
    // Per record: the records' vectors (capacity: their growth slack included) and extras.
    std::size_t record_bytes = 0;
    std::size_t record_slack_bytes = 0;  // of record_bytes, capacity not holding a record
    // The shards' intern tables: one copy of each distinct context, content and mimetype string.
    std::size_t string_bytes = 0;
};

// Called for each dirty key while the persister collects a shard; `record` is null when the
// record was deleted (a tombstone).
using dirty_visitor = std::function<void(std::string_view user_id, const record_key& key, const progress_record* record)>;

class progress_store {
public:
    progress_store(std::size_t shard_count, merge_rules rules);
    ~progress_store();
    progress_store(const progress_store&) = delete;
    progress_store& operator=(const progress_store&) = delete;

    // The hot path: merges one ping into (user, ping.context_id, ping.content_id).
    apply_result apply_ping(std::string_view user_id, const ping& observation, std::int64_t now_ms);

    // An authoritative write (store/overwrite.hpp) to (user, key), creating the record if absent.
    overwrite_result overwrite(std::string_view user_id, const record_key& key, const record_overwrite& write,
                               std::int64_t now_ms);

    std::optional<progress_record> find(std::string_view user_id, std::string_view context_id,
                                        std::string_view content_id) const;

    // The user's records of several contents in one context, read under one lock; the result is
    // aligned with content_ids (nullopt where there is no record).
    std::vector<std::optional<progress_record>> find_many(std::string_view user_id, std::string_view context_id,
                                                          const std::vector<std::string>& content_ids) const;

    // Removes the record; returns the generation after which the removal is durable, or nullopt
    // when there was no such record.
    std::optional<std::uint64_t> erase(std::string_view user_id, std::string_view context_id,
                                       std::string_view content_id);

    user_page list_user(std::string_view user_id, std::size_t offset, std::size_t limit) const;
    // Removes every record of the user (tombstones for the persister).
    erased_user erase_user(std::string_view user_id);

    // Continue watching (docs/data-model.md rule 7): the user's in-progress records not hidden,
    // last accessed first, at most `limit`.
    std::vector<std::pair<record_key, progress_record>> continue_watching(std::string_view user_id,
                                                                          std::size_t limit) const;
    // Hides the user's records of `content_id` (in every context) from continue watching until
    // their next ping. Returns the generation when a record changed.
    std::optional<std::uint64_t> hide(std::string_view user_id, std::string_view content_id);

    store_stats stats() const;
    std::size_t shard_count() const { return shard_count_; }
    const merge_rules& rules() const { return rules_; }

    // Recovery: inserts a record read back from LMDB, clean (not dirty).
    void load(std::string_view user_id, record_key key, const progress_record& record);
    // Recovery: every record of the user is loaded; its vector gives back its growth slack.
    void loaded(std::string_view user_id);
    // Walks every shard under its lock: for reports and benchmarks, not for a request.
    store_memory memory() const;

    // Cluster mode keeps only some users in memory (app/resident_users.hpp). Each user remembers
    // the generation of its latest write; a user whose entry went (all its records removed and
    // collected) leaves it in its shard, where it stands for every user the shard has no entry
    // for, so a removal not yet committed still blocks an eviction.
    //
    // An estimate of the memory the user's records take, in bytes; 0 when it has none.
    std::size_t user_bytes(std::string_view user_id) const;
    // Whether every change of the user is committed: nothing dirty or tombstoned, and its latest
    // write's generation ≤ durable_generation (the persister's; dirty flags are cleared when
    // collected, before the commit, so they alone are not enough).
    bool evictable(std::string_view user_id, std::uint64_t durable_generation) const;
    // Removes the user's records when evictable (decided under the same lock); true when the
    // user is not in memory afterwards, also when it was not before.
    bool evict(std::string_view user_id, std::uint64_t durable_generation);
    // Removes the user's records whatever their state; its pending changes are never written.
    void drop_user(std::string_view user_id);

    // Persister interface (see the header comment).
    std::uint64_t begin_flush() { return generation_.fetch_add(1, std::memory_order_acq_rel); }
    std::uint64_t current_generation() const { return generation_.load(std::memory_order_acquire); }
    // The counter itself, for the other dirty sources (catalog, enrolments) that share it.
    const std::atomic<std::uint64_t>& generation_counter() const { return generation_; }
    // Visits (and clears) the shard's dirty keys, letting the lock go every few entries so pings
    // are not held up; each visit still runs under the lock. Keys dirtied during the walk are
    // collected too.
    std::size_t collect_dirty(std::size_t shard_index, const dirty_visitor& visit);

private:
    struct shard;
    shard& shard_for(std::string_view user_id) const;

    std::size_t shard_count_;
    merge_rules rules_;
    std::unique_ptr<shard[]> shards_;
    std::atomic<std::uint64_t> generation_{1};
};

}  // namespace progressd::store
