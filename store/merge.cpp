#include "store/merge.hpp"

#include "store/coverage.hpp"

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

// Returns false when seq was already applied in this session's window; otherwise records it as applied.
bool admit_in(session_window& window, std::int64_t seq) {
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

// Makes `hash` the most recent session of the window, keeping its own window when it is one of the
// sessions remembered, else starting it empty and evicting the least recent beyond the bound.
void make_newest(replay_window& replay, std::uint64_t hash) {
    if (replay.newest.session_hash == 0) {
        replay.newest = {hash, -1, 0};
        return;
    }
    if (!replay.older) replay.older = std::make_unique<replay_window::older_windows>();
    auto& older = *replay.older;
    // The slot it leaves (or the last, evicted) is filled by shifting the more recent ones down.
    std::size_t slot = older.size() - 1;
    for (std::size_t i = 0; i < older.size(); ++i) {
        if (older[i].session_hash == hash || older[i].session_hash == 0) {
            slot = i;
            break;
        }
    }
    session_window moving = older[slot].session_hash == hash ? older[slot] : session_window{hash, -1, 0};
    for (std::size_t i = slot; i > 0; --i) older[i] = older[i - 1];
    older[0] = replay.newest;
    replay.newest = moving;
}

// Returns false when (session, seq) was already applied; otherwise records it as applied, its
// session becoming the most recent. A duplicate changes nothing, not even the order.
bool admit_sequence(replay_window& replay, std::uint64_t hash, std::int64_t seq) {
    // The hot path: the session of the previous ping.
    if (replay.newest.session_hash == hash) return admit_in(replay.newest, seq);
    if (replay.older) {
        for (auto& window : *replay.older) {
            if (window.session_hash != hash) continue;
            if (!admit_in(window, seq)) return false;
            make_newest(replay, hash);
            return true;
        }
    }
    make_newest(replay, hash);
    return admit_in(replay.newest, seq);
}

std::optional<double> reported_percent(const progress_record& record, const ping& observation) {
    if (observation.progress_percent) return *observation.progress_percent;
    if (!observation.position_seconds) return std::nullopt;
    const double duration = observation.duration_seconds.value_or(record.duration_seconds);
    if (duration <= 0) return std::nullopt;
    // Scaled before dividing: 42 s of 600 reads 7, where 42 / 600 × 100 reads 7.000000000000001.
    return std::min(100.0, *observation.position_seconds * 100.0 / duration);
}

void complete(progress_record& record, std::int64_t now_ms, merge_outcome& outcome) {
    if (record.status != progress_status::completed) outcome.became_completed = true;
    record.status = progress_status::completed;
    if (record.completed_at == 0) record.completed_at = now_ms;
}

// Seconds of playback between the previous in-order ping and this one: the client's clock when
// both carry ts, else the watch time the ping reports, else the server's arrival times.
double elapsed_seconds(const ping& observation, std::int64_t previous_ts, std::int64_t previous_access,
                       std::int64_t now_ms) {
    if (observation.ts && previous_ts != no_position_ts) return static_cast<double>(*observation.ts - previous_ts) / 1000.0;
    if (observation.time_spent_delta_seconds > 0) return observation.time_spent_delta_seconds;
    return static_cast<double>(now_ms - previous_access) / 1000.0;
}

}  // namespace

completion_rule merge_rules::rule_for(std::string_view content_type, std::string_view mimetype) const {
    for (const auto& item : overrides) {
        if (item.by == completion_override::match::type && !content_type.empty() && item.name == content_type) {
            return item.rule;
        }
    }
    for (const auto& item : overrides) {
        if (item.by == completion_override::match::mimetype && !mimetype.empty() && item.name == mimetype) {
            return item.rule;
        }
    }
    return {default_policy, completion_threshold};
}

bool merge_rules::has_type_overrides() const {
    return std::any_of(overrides.begin(), overrides.end(),
                       [](const completion_override& item) { return item.by == completion_override::match::type; });
}

merge_outcome merge(progress_record& record, const ping& observation, const merge_rules& rules, std::int64_t now_ms) {
    merge_outcome outcome;
    // Coverage continues a session: the same session id as the last ping, or none on this ping.
    const std::uint64_t session = observation.session_id ? session_hash(*observation.session_id) : 0;
    const bool continues_session =
        record.first_accessed_at != 0 && (session == 0 || record.replay.newest.session_hash == session);
    const double previous_position = record.position_seconds;
    const std::int64_t previous_ts = record.position_ts;
    if (observation.session_id && observation.seq &&
        !admit_sequence(record.replay, session, *observation.seq)) {
        outcome.duplicate = true;
        return outcome;
    }
    // A session without sequence numbers still marks where its pings belong (for coverage).
    if (session != 0 && !observation.seq && record.replay.newest.session_hash != session) make_newest(record.replay, session);

    // Rule 2: the resume point follows the newest client timestamp; without one, arrival order.
    bool played = false;
    if (observation.position_seconds) {
        const bool newer = !observation.ts || *observation.ts >= record.position_ts;
        if (newer) {
            played = continues_session &&
                     played_through(previous_position, *observation.position_seconds,
                                    elapsed_seconds(observation, previous_ts, record.last_accessed_at, now_ms));
            record.position_seconds = *observation.position_seconds;
            if (observation.ts) record.position_ts = *observation.ts;
        }
    }
    if (observation.duration_seconds) record.duration_seconds = *observation.duration_seconds;

    // Rule 6: watched coverage, from consecutive positions (a seek marks nothing) and segments.
    if (played) mark_watched(record.watched, previous_position, record.position_seconds, record.duration_seconds);
    for (const auto& [from, to] : observation.segments) mark_watched(record.watched, from, to, record.duration_seconds);

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
    // The content's policy decides what reaches the threshold: the furthest position or coverage.
    if (record.status == progress_status::not_started) record.status = progress_status::in_progress;
    const auto rule = rules.overrides.empty() ? completion_rule{rules.default_policy, rules.completion_threshold}
                                              : rules.rule_for(observation.content_type, record.mimetype);
    const double reached =
        rule.policy == completion_policy::coverage ? watched_percent(record.watched) : record.progress_percent;
    if (observation.event == ping_event::complete || reached >= rule.threshold) complete(record, now_ms, outcome);
    if (record.status == progress_status::completed) record.progress_percent = 100;

    if (record.first_accessed_at == 0) {
        record.first_accessed_at = now_ms;
        outcome.first_access = true;
    }
    record.last_accessed_at = now_ms;
    record.updated_at = now_ms;
    record.hidden = false;  // rule 7: a hidden record reappears on the next ping
    return outcome;
}

}  // namespace progressd::store
