#pragma once
// Completion events (docs/webhooks.md, "Events"): what the store's transitions mean to the outside
// world. An event is made where a transition is seen (app/progress_events.cpp), whichever API
// caused it, and is kept in the outbox (store/outbox.hpp) until every webhook it is for has it.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

// The numbers are stored in LMDB: never renumber.
enum class event_type : std::uint8_t {
    lesson_completion = 1,  // a record became completed
    course_completion = 2,  // a collection's aggregate became completed
    quiz_completion = 3,    // an assessment attempt was recorded
    course_enrollment = 4,  // an enrolment was created (explicit or implicit)
};

inline constexpr std::array all_event_types{event_type::lesson_completion, event_type::course_completion,
                                            event_type::quiz_completion, event_type::course_enrollment};

// "LESSON_COMPLETION", …: the names webhooks and their receivers use.
std::string_view event_type_name(event_type type);
std::optional<event_type> parse_event_type(std::string_view name);

struct quiz_outcome {
    std::string attempt_id;
    double score = 0;
    double max_score = 0;
    bool passed = false;

    friend bool operator==(const quiz_outcome&, const quiz_outcome&) = default;
};

struct progress_event {
    std::string id;  // the same for every webhook it goes to: receivers deduplicate on it
    event_type type = event_type::lesson_completion;
    std::int64_t occurred_at = 0;  // ms since epoch
    std::string user_id;
    std::string context_id;  // empty: organic consumption
    std::string course_id;   // the course (collection); lesson and quiz events: its top-level collection, if any
    std::string content_id;  // lesson and quiz events: the content; empty for course events
    std::optional<quiz_outcome> quiz{};  // quiz events only

    friend bool operator==(const progress_event&, const progress_event&) = default;
};

}  // namespace progressd::store
