#pragma once
// Catalog entries, enrolments, assessment states, webhooks and deliveries of many shapes for the
// round-trip tests: every field away from its default, every optional part absent and present,
// boundary numbers. Doubles are compared through their codec bytes, which hold them bit for bit.

#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/outbox.hpp"
#include "store/webhooks.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace progressd::testing {

inline std::vector<store::content_entry> catalog_shapes() {
    std::vector<store::content_entry> shapes;

    store::content_entry full;
    full.id = "course-1";
    full.type = "course";
    full.title = "Intro — ünïcode ✓ 日本";
    full.duration_seconds = 1234.5;
    full.parent_id = "program-1";
    full.children = {"l1", "l2", "quiz-3"};
    full.optional = true;
    full.attributes = R"({"thumbnail_url":"https://x/t.png","n":[1,2]})";
    full.learned = true;
    full.updated_at = 1'700'000'000'123;
    shapes.push_back(full);

    store::content_entry minimal;  // no duration, no parent, no children, nothing set
    minimal.id = "x";
    shapes.push_back(minimal);

    store::content_entry odd = full;
    odd.id = "odd:1";
    odd.type = "video";
    odd.duration_seconds = std::numeric_limits<double>::denorm_min();
    odd.updated_at = std::numeric_limits<std::int64_t>::min();
    odd.parent_id.clear();
    odd.learned = false;
    shapes.push_back(odd);

    store::content_entry zero_duration = minimal;
    zero_duration.id = "zero@dur";
    zero_duration.duration_seconds = 0.0;
    zero_duration.updated_at = std::numeric_limits<std::int64_t>::max();
    shapes.push_back(zero_duration);

    store::content_entry big = full;
    big.id = "big.collection";
    big.children.clear();
    for (int i = 0; i < 1000; ++i) big.children.push_back("child-" + std::to_string(i));
    big.attributes = R"({"pad":")" + std::string(8000, 'a') + R"("})";
    shapes.push_back(big);

    return shapes;
}

// Keyed by (collection, context), one user's.
inline std::vector<std::pair<store::enrolment_key, store::enrolment>> enrolment_shapes() {
    std::vector<std::pair<store::enrolment_key, store::enrolment>> shapes;
    shapes.push_back({{"course-1", ""}, {}});  // as created: active, never expiring, all times 0
    shapes.push_back({{"course-1", "batch-7"}, {1'700'000'000'000, 1'800'000'000'000, true, false, 1'700'000'000'001}});
    shapes.push_back({{"course-2", "b"}, {5, 0, false, true, 6}});  // inactive, implicit
    shapes.push_back({{"course-3", ""},
                      {std::numeric_limits<std::int64_t>::min(), -1, true, true, std::numeric_limits<std::int64_t>::max()}});
    return shapes;
}

inline store::assessment_attempt attempt(std::string id, double score, double max, std::int64_t at, bool passed) {
    return {std::move(id), score, max, at, passed};
}

inline std::vector<store::assessment_state> assessment_shapes() {
    std::vector<store::assessment_state> shapes;

    store::assessment_state one;
    one.attempt_count = 1;
    one.attempts.push_back(attempt("a1", 7.5, 10, 1'700'000'000'000, true));
    shapes.push_back(one);

    store::assessment_state folded;  // every attempt folded into the counters
    folded.attempt_count = 4'000'000'000u;
    folded.folded_best_score = 99.25;
    folded.folded_passed = true;
    shapes.push_back(folded);

    store::assessment_state full;  // the most kept, odd numbers, one resubmitted id
    full.attempt_count = 73;
    full.folded_best_score = -0.0;
    for (std::size_t i = 0; i < store::max_kept_attempts; ++i) {
        full.attempts.push_back(attempt("attempt-" + std::to_string(i), 100.0 / 3.0 + double(i), 100, std::int64_t(i), i % 3 == 0));
    }
    full.attempts.back().score = std::numeric_limits<double>::denorm_min();
    full.attempts.front().submitted_at = std::numeric_limits<std::int64_t>::min();
    shapes.push_back(full);

    store::assessment_state failed;
    failed.attempt_count = 2;
    failed.attempts.push_back(attempt("x", 0, 0, 0, false));
    failed.attempts.push_back(attempt("y", -1, 5, -7, false));
    shapes.push_back(failed);

    return shapes;
}

inline std::vector<store::webhook> webhook_shapes() {
    std::vector<store::webhook> shapes;

    store::webhook every;
    every.id = "hook-a";
    every.target_url = "https://receiver.example/hooks?x=1&y=ü";
    every.secret = "0123456789abcdef0123456789abcdef";
    every.created_at = 1'700'000'000'000;
    shapes.push_back(every);

    store::webhook only = every;
    only.id = "hook-b";
    only.only = store::event_type::quiz_completion;
    only.basic_auth_username = "user";
    only.basic_auth_password = "p@ss:word ✓";
    shapes.push_back(only);

    store::webhook deactivated = every;
    deactivated.id = "hook-c";
    deactivated.active = false;
    deactivated.deactivate_reason = "20 failed attempts: 503 Service Unavailable";
    deactivated.secret = std::string("\0\x01\xff binary", 10);
    deactivated.created_at = std::numeric_limits<std::int64_t>::min();
    shapes.push_back(deactivated);

    return shapes;
}

inline store::progress_event sample_event(std::string id, std::string user, store::event_type type) {
    store::progress_event event;
    event.id = std::move(id);
    event.type = type;
    event.occurred_at = 1'700'000'000'500;
    event.user_id = std::move(user);
    event.context_id = "batch-1";
    event.course_id = "course-1";
    event.content_id = type == store::event_type::course_completion ? "" : "lesson-1";
    if (type == store::event_type::quiz_completion) event.quiz = store::quiz_outcome{"attempt-9", 8.5, 10, true};
    return event;
}

inline std::vector<store::delivery> delivery_shapes() {
    std::vector<store::delivery> shapes;
    shapes.push_back({"hook-a", sample_event("e1", "user-1", store::event_type::lesson_completion), 0, 1'700'000'000'500, ""});
    shapes.push_back({"hook-b", sample_event("e2", "user-2", store::event_type::quiz_completion), 3, 1'700'000'009'000,
                      "503 Service Unavailable ✓"});
    // More failed attempts than the report column holds: the payload keeps the exact count.
    shapes.push_back({"hook-a", sample_event("e3", "user-1", store::event_type::course_completion),
                      std::numeric_limits<std::uint32_t>::max(), std::numeric_limits<std::int64_t>::min(), "x"});
    auto no_context = sample_event("e4", "user-3", store::event_type::course_enrollment);
    no_context.context_id.clear();
    no_context.quiz = store::quiz_outcome{"", -0.0, 0, false};  // a quiz part on another type still round-trips
    shapes.push_back({"hook-c", no_context, 1, 0, ""});
    return shapes;
}

}  // namespace progressd::testing
