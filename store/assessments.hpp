#pragma once
// Assessment attempts (docs/data-model.md): per (user, context, content) record, the
// attempts list (newest last, at most 50 kept, older ones folded into the counters) and the
// quiz counters derived from it: attempt count, last and best score, max score, passed.
//
// Scoring is a pure function (score_items, record_attempt), unit-tested without threads.
// assessment_store holds the states like the enrolment store holds enrolments
// (store/user_keyed_shards.hpp): shards by a hash of the user id, a mutex each, copies out, dirty
// keys collected by the persister into the `assessments` LMDB database with the store's
// generation counter.
//
// Thread-safety: assessment_store's members may be called from any thread; nothing is atomic
// across users.

#include "store/dirty_source.hpp"
#include "store/erasure.hpp"
#include "store/record.hpp"
#include "store/user_keyed_shards.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

inline constexpr std::size_t max_kept_attempts = 50;

struct assessment_attempt {
    std::string attempt_id;
    double score = 0;
    double max_score = 0;
    std::int64_t submitted_at = 0;
    bool passed = false;

    friend bool operator==(const assessment_attempt&, const assessment_attempt&) = default;
};

struct assessment_state {
    std::uint32_t attempt_count = 0;  // every distinct attempt ever, folded ones included
    double folded_best_score = 0;     // the best score among attempts no longer kept
    bool folded_passed = false;       // whether one of those passed
    std::vector<assessment_attempt> attempts;  // newest last, at most max_kept_attempts

    double best_score() const;
    bool passed() const;
    const assessment_attempt* last() const { return attempts.empty() ? nullptr : &attempts.back(); }
    friend bool operator==(const assessment_state&, const assessment_state&) = default;
};

// One item's result within a submission (a Sunbird ASSESS event, a question of a quiz).
struct item_result {
    std::string item_id;
    double score = 0;
    double max_score = 0;
};

struct item_totals {
    double score = 0;
    double max_score = 0;
};

// Sums the results, the last result per item winning (a learner may change an answer).
item_totals score_items(const std::vector<item_result>& items);

// Adds the attempt, or replaces the kept attempt with the same id (a resubmission updates it).
// Folds the oldest attempts beyond max_kept_attempts into the counters.
void record_attempt(assessment_state& state, assessment_attempt attempt);

class assessment_store : public dirty_source {
public:
    // `generation` is the store's flush counter (progress_store::generation_counter()).
    assessment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation);

    struct submit_result {
        assessment_state state;
        std::uint64_t generation = 0;
    };
    submit_result submit(std::string_view user_id, const record_key& key, assessment_attempt attempt);
    // Runs `change` on the state of (user, key) under the shard lock (an empty state when there
    // is none); a state left without attempts is removed. Returns the state after the change
    // (nullopt when removed) and the generation when anything was written.
    struct update_result {
        std::optional<assessment_state> state;
        std::optional<std::uint64_t> generation;
    };
    update_result update(std::string_view user_id, const record_key& key,
                         const std::function<void(assessment_state&)>& change);
    std::optional<assessment_state> find(std::string_view user_id, const record_key& key) const;
    // Every state of the user, ordered by (context_id, content_id).
    std::vector<std::pair<record_key, assessment_state>> list_user(std::string_view user_id) const;
    std::optional<std::uint64_t> erase(std::string_view user_id, const record_key& key);
    erased_user erase_user(std::string_view user_id);

    void load(std::string_view user_id, record_key key, assessment_state state);

    // Cluster mode's cache of users (app/resident_users.hpp; the rules in user_keyed_shards.hpp),
    // as enrolment_store's.
    using user_entries = user_keyed_shards<record_key, assessment_state>::entries;
    std::size_t user_bytes(std::string_view user_id) const;
    std::optional<user_entries> evict(std::string_view user_id, std::uint64_t durable_generation);
    bool evictable(std::string_view user_id, std::uint64_t durable_generation) const;
    void drop_user(std::string_view user_id);

    std::size_t collect_changes(const change_visitor& emit) override;

private:
    user_keyed_shards<record_key, assessment_state> shards_;
};

}  // namespace progressd::store
