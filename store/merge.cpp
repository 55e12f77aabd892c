#include "store/merge.hpp"

#include <algorithm>
#include <string_view>

namespace progressd::store {
namespace {

// FNV-1a: stable across runs and builds, because the replay window is persisted with the record.
std::uint64_t session_hash(std::string_view session_id) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : session_id) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash == 0 ? 1 : hash;
}

// Returns false when (session, seq) was already applied; otherwise records it as applied.
bool admit_sequence(replay_window& window, std::string_view session_id, std::int64_t seq) {
    const std::uint64_t hash = session_hash(session_id);
    if (window.session_hash != hash) {
        window = {hash, seq, 1};
        return true;
    }
    if (seq > window.highest_seq) {
        const std::int64_t shift = seq - window.highest_seq;
        window.seen_bits = shift >= 64 ? 0 : window.seen_bits << shift;
        window.seen_bits |= 1;
        window.highest_seq = seq;
        return true;
    }
    const std::int64_t age = window.highest_seq - seq;
    if (age >= 64) return false;
    const std::uint64_t bit = std::uint64_t{1} << age;
    if (window.seen_bits & bit) return false;
    window.seen_bits |= bit;
    return true;
}

std::optional<double> reported_percent(const progress_record& record, const ping& observation) {
    if (observation.progress_percent) return *observation.progress_percent;
    if (!observation.position_seconds) return std::nullopt;
    const double duration = observation.duration_seconds.value_or(record.duration_seconds);
    if (duration <= 0) return std::nullopt;
    return std::min(100.0, *observation.position_seconds / duration * 100.0);
}

void complete(progress_record& record, std::int64_t now_ms, merge_outcome& outcome) {
    if (record.status != progress_status::completed) outcome.became_completed = true;
    record.status = progress_status::completed;
    if (record.completed_at == 0) record.completed_at = now_ms;
}

}  // namespace

merge_outcome merge(progress_record& record, const ping& observation, const merge_rules& rules, std::int64_t now_ms) {
    merge_outcome outcome;
    if (observation.session_id && observation.seq &&
        !admit_sequence(record.replay, *observation.session_id, *observation.seq)) {
        outcome.duplicate = true;
        return outcome;
    }

    // Rule 2: the resume point follows the newest client timestamp; without one, arrival order.
    if (observation.position_seconds) {
        const bool newer = !observation.ts || *observation.ts >= record.position_ts;
        if (newer) {
            record.position_seconds = *observation.position_seconds;
            if (observation.ts) record.position_ts = *observation.ts;
        }
    }
    if (observation.duration_seconds) record.duration_seconds = *observation.duration_seconds;

    // Rule 1: furthest progress wins; a ping never lowers it.
    if (auto percent = reported_percent(record, observation)) {
        record.progress_percent = std::max(record.progress_percent, *percent);
    }

    // Rules 3 and 5.
    record.time_spent_seconds += observation.time_spent_delta_seconds;
    if (observation.event == ping_event::start) ++record.views;
    if (observation.mimetype) record.mimetype = *observation.mimetype;
    if (observation.details) record.details = *observation.details;

    // Rule 4: 0 → 1 on any ping; threshold, or an explicit complete, moves to 2; 2 is sticky.
    if (record.status == progress_status::not_started) record.status = progress_status::in_progress;
    if (observation.event == ping_event::complete || record.progress_percent >= rules.completion_threshold) {
        complete(record, now_ms, outcome);
    }
    if (record.status == progress_status::completed) record.progress_percent = 100;

    if (record.first_accessed_at == 0) record.first_accessed_at = now_ms;
    record.last_accessed_at = now_ms;
    record.updated_at = now_ms;
    return outcome;
}

}  // namespace progressd::store
