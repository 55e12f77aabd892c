#include "store/assessments.hpp"

#include "store/sharding.hpp"
#include "store/assessment_codec.hpp"
#include "store/record_codec.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace progressd::store {
namespace {

using user_states = std::map<record_key, assessment_state>;

struct dirty_key {
    std::string user_id;
    record_key key;
};

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

struct alignas(64) assessment_store::shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, user_states, string_hash, std::equal_to<>> users;
    std::vector<dirty_key> dirty;  // a key may repeat; the newest state is written
};

assessment_store::assessment_store(std::size_t shard_count, const std::atomic<std::uint64_t>& generation)
    : shard_count_(shard_count), generation_(generation), shards_(new shard[shard_count]) {
    check_shard_count(shard_count);
}

assessment_store::~assessment_store() = default;

assessment_store::shard& assessment_store::shard_for(std::string_view user_id) const {
    return shards_[shard_index(user_id, shard_count_)];
}

assessment_store::submit_result assessment_store::submit(std::string_view user_id, const record_key& key,
                                                         assessment_attempt attempt) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_states{}).first;
    auto& state = user->second[key];
    record_attempt(state, std::move(attempt));
    s.dirty.push_back({std::string(user_id), key});
    return {state, generation_.load(std::memory_order_acquire)};
}

assessment_store::update_result assessment_store::update(std::string_view user_id, const record_key& key,
                                                         const std::function<void(assessment_state&)>& change) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    const bool existed = user != s.users.end() && user->second.contains(key);
    assessment_state state = existed ? user->second.at(key) : assessment_state{};
    change(state);
    // An empty state is no quiz: removed when it existed, never created.
    if (state.attempt_count == 0 && state.attempts.empty()) {
        if (!existed) return {};
        user->second.erase(key);
        if (user->second.empty()) s.users.erase(user);
        s.dirty.push_back({std::string(user_id), key});
        return {std::nullopt, generation_.load(std::memory_order_acquire)};
    }
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_states{}).first;
    user->second.insert_or_assign(key, state);
    s.dirty.push_back({std::string(user_id), key});
    return {std::move(state), generation_.load(std::memory_order_acquire)};
}

std::optional<assessment_state> assessment_store::find(std::string_view user_id, const record_key& key) const {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return std::nullopt;
    auto found = user->second.find(key);
    if (found == user->second.end()) return std::nullopt;
    return found->second;
}

std::vector<std::pair<record_key, assessment_state>> assessment_store::list_user(std::string_view user_id) const {
    std::vector<std::pair<record_key, assessment_state>> listing;
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user != s.users.end()) listing.assign(user->second.begin(), user->second.end());
    return listing;
}

std::optional<std::uint64_t> assessment_store::erase(std::string_view user_id, const record_key& key) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end() || user->second.erase(key) == 0) return std::nullopt;
    s.dirty.push_back({std::string(user_id), key});
    if (user->second.empty()) s.users.erase(user);
    return generation_.load(std::memory_order_acquire);
}

erased_user assessment_store::erase_user(std::string_view user_id) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) return {};
    for (const auto& [key, state] : user->second) s.dirty.push_back({std::string(user_id), key});
    const erased_user result{user->second.size(), generation_.load(std::memory_order_acquire)};
    s.users.erase(user);
    return result;
}

void assessment_store::load(std::string_view user_id, record_key key, assessment_state state) {
    shard& s = shard_for(user_id);
    std::lock_guard lock(s.mutex);
    auto user = s.users.find(user_id);
    if (user == s.users.end()) user = s.users.emplace(std::string(user_id), user_states{}).first;
    user->second.insert_or_assign(std::move(key), std::move(state));
}

std::size_t assessment_store::collect_changes(const change_visitor& emit) {
    std::size_t collected = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        for (const auto& entry : s.dirty) {
            std::optional<std::string> value;
            if (auto user = s.users.find(entry.user_id); user != s.users.end()) {
                if (auto found = user->second.find(entry.key); found != user->second.end()) {
                    value = encode_assessment_state(found->second);
                }
            }
            std::string key;
            encode_key(key, entry.user_id, entry.key);
            emit(std::move(key), std::move(value));
        }
        collected += s.dirty.size();
        s.dirty.clear();
    }
    return collected;
}

}  // namespace progressd::store
