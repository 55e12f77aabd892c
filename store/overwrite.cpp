#include "store/overwrite.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

void set_status(progress_record& record, progress_status status, std::int64_t now_ms,
                std::optional<std::int64_t> completed_at = std::nullopt) {
    if (status == progress_status::completed) {
        if (completed_at) {
            record.completed_at = *completed_at;
        } else if (record.completed_at == 0) {
            record.completed_at = now_ms;
        }
    } else {
        record.completed_at = 0;
    }
    record.status = status;
}

// An un-completed record must not be completed again by the next ping at any position: the
// merge completes as soon as the stored percent (furthest policy) or the watched coverage
// (coverage policy) reaches the threshold, so both are left below it.
void leave_uncompleted(progress_record& record, const record_overwrite& write, const completion_rule& rule) {
    double percent = 0;
    if (write.progress_percent) {
        percent = record.progress_percent;
    } else if (record.duration_seconds > 0) {
        percent = std::min(100.0, record.position_seconds * 100.0 / record.duration_seconds);
    }
    if (percent >= rule.threshold) percent = std::max(0.0, rule.threshold - 1);
    record.progress_percent = percent;
    record.watched = {};
}

}  // namespace

void overwrite_record(progress_record& record, const record_overwrite& write, std::int64_t now_ms,
                      const completion_rule& rule) {
    const bool was_completed = record.status == progress_status::completed;
    if (write.progress_percent) record.progress_percent = std::clamp(*write.progress_percent, 0.0, 100.0);
    if (write.position_seconds) record.position_seconds = *write.position_seconds;
    if (write.time_spent_seconds) record.time_spent_seconds = *write.time_spent_seconds;

    if (write.status) {
        set_status(record, *write.status, now_ms, write.completed_at);
    } else if (write.progress_percent && *write.progress_percent >= 100) {
        set_status(record, progress_status::completed, now_ms, write.completed_at);
    } else if (write.progress_percent && record.status == progress_status::completed) {
        set_status(record, progress_status::in_progress, now_ms);
    } else if (record.status == progress_status::not_started &&
               (write.progress_percent.value_or(0) > 0 || write.position_seconds.value_or(0) > 0 ||
                write.time_spent_seconds.value_or(0) > 0)) {
        set_status(record, progress_status::in_progress, now_ms);
    }
    // A completed record reports 100 (docs/data-model.md, "Merge rules", rule 4).
    if (record.status == progress_status::completed) record.progress_percent = 100;
    if (was_completed && record.status != progress_status::completed) leave_uncompleted(record, write, rule);

    if (write.notes || write.bookmarked || write.metadata) {
        auto annotations = record.annotations ? std::make_shared<record_annotations>(*record.annotations)
                                              : std::make_shared<record_annotations>();
        if (write.notes) annotations->notes = *write.notes;
        if (write.bookmarked) annotations->bookmarked = *write.bookmarked;
        if (write.metadata) annotations->metadata = *write.metadata;
        record.annotations = annotations->empty() ? nullptr : std::move(annotations);
    }

    if (write.touches_progress()) {
        if (record.first_accessed_at == 0) record.first_accessed_at = now_ms;
        record.last_accessed_at = now_ms;
    }
    if (write.completed_at && record.status == progress_status::completed &&
        record.first_accessed_at > record.completed_at) {
        record.first_accessed_at = record.completed_at;
    }
    record.updated_at = now_ms;
}

void overwrite_quiz(assessment_state& state, const quiz_overwrite& write, std::int64_t now_ms) {
    if (write.attempts) {
        const std::size_t count = *write.attempts;
        if (count == 0) {
            state = {};
        } else if (state.attempts.size() > count) {
            state.attempts.erase(state.attempts.begin(),
                                 state.attempts.end() - static_cast<std::ptrdiff_t>(count));
        }
        state.attempt_count = *write.attempts;
    }
    if ((write.score_percent || write.passed) && state.attempts.empty()) {
        state.attempts.push_back({authoritative_attempt_id, 0, 100, now_ms, false});
        state.attempt_count = std::max<std::uint32_t>(state.attempt_count, 1);
    }
    if (write.score_percent) {
        auto& newest = state.attempts.back();
        newest.score = *write.score_percent;
        newest.max_score = 100;
    }
    if (write.passed) {
        if (!*write.passed) {
            state.folded_passed = false;
            for (auto& attempt : state.attempts) attempt.passed = false;
        }
        state.attempts.back().passed = *write.passed;
    }
    // The count covers the kept attempts at least (folded ones come on top).
    state.attempt_count = std::max(state.attempt_count, static_cast<std::uint32_t>(state.attempts.size()));
}

}  // namespace progressd::store
