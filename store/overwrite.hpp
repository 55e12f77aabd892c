#pragma once
// Authoritative writes (docs/data-model.md, "Authoritative writes"): an API that owns the truth (the
// Education API's PUT, later Skilljar's PATCH) sets the fields it gives exactly. Unlike a ping it
// may lower progress and un-complete. Pure functions: no locks, no clock, no I/O; the stores call
// them under their shard locks and the unit tests call them directly.
//
// What a write of each field means (docs/compat-education.md):
// - status completed: completed (completed_at kept when already set, else now), percent 100.
//   Another status un-completes: completed_at cleared.
// - completed_at (with a write that completes): the completion time instead of now, set even on a
//   record already completed. A service back-filling completions from another system states
//   when the user completed (docs/compat-skilljar.md); first_accessed_at moves back to it when
//   later, so a record is never started after it was completed.
// - status absent: a given percent decides it — 100 completes, less un-completes a completed
//   record; any progress given moves a not-started record to in progress.
// - un-completing (a completed record left not completed) leaves a state the next ping does not
//   complete again by itself: progress_percent is the given percent, else the position's percent
//   (0 without a duration), lowered to the completion threshold − 1 when it reaches the
//   threshold, and the watched coverage is cleared. Otherwise the stored 100 (or full coverage)
//   would complete the record on the next ping at any position (docs/data-model.md,
//   "Authoritative writes").
// - position, time spent, percent: set as given (completed still reports 100).
// - notes, bookmark, metadata: set as given; an empty note or metadata clears it.
// A write that touches progress counts as an access (last_accessed_at, first_accessed_at);
// every write sets updated_at.

#include "store/assessments.hpp"
#include "store/completion.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace progressd::store {

struct record_overwrite {
    std::optional<progress_status> status{};
    std::optional<double> progress_percent{};  // 0–100
    std::optional<double> position_seconds{};
    std::optional<double> time_spent_seconds{};
    std::optional<std::string> notes{};     // "" clears
    std::optional<bool> bookmarked{};
    std::optional<std::string> metadata{};  // a serialized JSON object; "" clears
    std::optional<std::int64_t> completed_at{};  // ms since the epoch, > 0; ignored unless the write completes
    // Not written: the catalog's type of the content, when a completion rule names types (the
    // rule decides how far an un-completion lowers progress); empty otherwise.
    std::string content_type{};

    bool touches_progress() const {
        return status || progress_percent || position_seconds || time_spent_seconds;
    }
};

// `rule` is the content's completion rule (merge_rules::rule_for), used only when the write
// un-completes.
void overwrite_record(progress_record& record, const record_overwrite& write, std::int64_t now_ms,
                      const completion_rule& rule = {});

// Quiz counters set as given, expressed on the attempts so every reader (native assessments,
// Sunbird) sees the same quiz:
// - attempts n: the attempt count becomes n; 0 clears the quiz; fewer than the kept attempts
//   drops the oldest.
// - score s (a percentage): the newest attempt scores s of 100; without an attempt one is made
//   (attempt_id "authoritative"), so a score implies at least one attempt.
// - passed p: the newest attempt's verdict (made as above when there is none); false also clears
//   every earlier pass, so the quiz reads exactly as not passed.
struct quiz_overwrite {
    std::optional<double> score_percent{};
    std::optional<std::uint32_t> attempts{};
    std::optional<bool> passed{};

    bool any() const { return score_percent || attempts || passed; }
};

inline constexpr const char* authoritative_attempt_id = "authoritative";

void overwrite_quiz(assessment_state& state, const quiz_overwrite& write, std::int64_t now_ms);

// A state with no attempt at all is no quiz: the store removes it.
inline bool is_empty_quiz(const assessment_state& state) {
    return state.attempt_count == 0 && state.attempts.empty();
}

}  // namespace progressd::store
