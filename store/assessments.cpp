#include "store/assessments.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/record_codec.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace progressd::store {
namespace {
using locked_user = user_keyed_shards<record_key, assessment_state>::locked_user;
}  // namespace

double assessment_state::best_score() const {
    double best = folded_best_score;
    for (const auto& attempt : attempts) best = std::max(best, attempt.score);
    return best;
}

bool assessment_state::passed() const {
    return folded_passed || std::any_of(attempts.begin(), attempts.end(), [](const auto& a) { return a.passed; });
}

item_totals score_items(const std::vector<item_result>& items) {
    // The last result per item: walk backwards and keep the first seen.
    std::unordered_map<std::string_view, const item_result*> last;
    for (auto it = items.rbegin(); it != items.rend(); ++it) last.try_emplace(it->item_id, &*it);
    item_totals totals;
    for (const auto& [id, result] : last) {
        totals.score += result->score;
        totals.max_score += result->max_score;
    }
    return totals;
}

void record_attempt(assessment_state& state, assessment_attempt attempt) {
    auto same = std::find_if(state.attempts.begin(), state.attempts.end(),
                             [&](const assessment_attempt& kept) { return kept.attempt_id == attempt.attempt_id; });
    if (same != state.attempts.end()) {
        *same = std::move(attempt);
        return;
    }
    ++state.attempt_count;
    state.attempts.push_back(std::move(attempt));
    while (state.attempts.size() > max_kept_attempts) {
        const auto& oldest = state.attempts.front();
        state.folded_best_score = std::max(state.folded_best_score, oldest.score);
        state.folded_passed = state.folded_passed || oldest.passed;
        state.attempts.erase(state.attempts.begin());
    }
}

assessment_store::assessment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation)
    : shards_(shard_count, generation) {}

assessment_store::submit_result assessment_store::submit(std::string_view user_id, const record_key& key,
                                                         assessment_attempt attempt) {
    return shards_.modify(user_id, [&](locked_user& user) {
        auto& state = user.create()[key];
        record_attempt(state, std::move(attempt));
        user.changed(key);
        return submit_result{state, user.generation()};
    });
}

assessment_store::update_result assessment_store::update(std::string_view user_id, const record_key& key,
                                                         const std::function<void(assessment_state&)>& change) {
    return shards_.modify(user_id, [&](locked_user& user) -> update_result {
        auto* existing = user.existing();
        const bool existed = existing != nullptr && existing->contains(key);
        assessment_state state = existed ? existing->at(key) : assessment_state{};
        change(state);
        // An empty state is no quiz: removed when it existed, never created.
        if (state.attempt_count == 0 && state.attempts.empty()) {
            if (!existed) return {};
            existing->erase(key);
            user.changed(key);
            return {std::nullopt, user.generation()};
        }
        user.create().insert_or_assign(key, state);
        user.changed(key);
        return {std::move(state), user.generation()};
    });
}

std::optional<assessment_state> assessment_store::find(std::string_view user_id, const record_key& key) const {
    return shards_.find(user_id, key);
}

std::vector<std::pair<record_key, assessment_state>> assessment_store::list_user(std::string_view user_id) const {
    return shards_.list_user(user_id);
}

std::optional<std::uint64_t> assessment_store::erase(std::string_view user_id, const record_key& key) {
    return shards_.erase(user_id, key);
}

erased_user assessment_store::erase_user(std::string_view user_id) { return shards_.erase_user(user_id); }

void assessment_store::load(std::string_view user_id, record_key key, assessment_state state) {
    shards_.load(user_id, std::move(key), std::move(state));
}

std::size_t assessment_store::user_bytes(std::string_view user_id) const {
    return shards_.user_bytes(user_id, [](const record_key& key, const assessment_state& state) {
        std::size_t bytes = sizeof(record_key) + sizeof(assessment_state) + key.context_id.capacity() +
                            key.content_id.capacity() + state.attempts.capacity() * sizeof(assessment_attempt);
        for (const auto& attempt : state.attempts) bytes += attempt.attempt_id.capacity();
        return bytes;
    });
}

std::optional<assessment_store::user_entries> assessment_store::evict(std::string_view user_id,
                                                                      std::uint64_t durable_generation) {
    return shards_.evict(user_id, durable_generation);
}

bool assessment_store::evictable(std::string_view user_id, std::uint64_t durable_generation) const {
    return shards_.evictable(user_id, durable_generation);
}

void assessment_store::drop_user(std::string_view user_id) { shards_.drop(user_id); }

std::size_t assessment_store::collect_changes(const change_visitor& emit) {
    return shards_.collect([&](std::string_view user_id, const record_key& key, const assessment_state* state) {
        std::string encoded_key;
        encode_key(encoded_key, user_id, key);
        emit(std::move(encoded_key), state ? std::optional(encode_assessment_state(*state)) : std::nullopt);
    });
}

}  // namespace progressd::store
