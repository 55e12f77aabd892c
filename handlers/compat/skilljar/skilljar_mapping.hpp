#pragma once
// Skilljar progress subset (docs/compat-skilljar.md): the pure half of the adapter.
// Times, pagination, the signed ids (lesson-progress ids and progress tokens), the request bodies
// and the response shapes. No HTTP types, no store access: skilljar.cpp does that.
//
// Thread-safety: pure functions.

#include "store/aggregate.hpp"
#include "store/assessments.hpp"
#include "store/enrolments.hpp"
#include "store/record.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::skilljar {

// ---- signed ids -----------------------------------------------------------------------------
// A lesson-progress id and a progress token both name (user, course, lesson). They are
// stateless: "<kind>.<b64url user>.<b64url course>.<b64url lesson>.<b64url HMAC-SHA256>", the MAC
// over everything before its dot, keyed by the server's token key. A kind cannot be passed off
// as the other (the kind is signed). Nothing expires: revoking means changing the key.
enum class token_kind : std::uint8_t { lesson_progress, progress_token };

struct token_subject {
    std::string user_id;
    std::string course_id;
    std::string lesson_id;
    friend bool operator==(const token_subject&, const token_subject&) = default;
};

// The key tokens are signed with, derived from the server's HS256 secret so that no other secret
// has to be managed: HMAC-SHA256(secret, "progressd skilljar token key v1").
std::string derive_token_key(std::string_view secret);
std::string mint_token(token_kind kind, const token_subject& subject, std::string_view key);
// Nullopt when the text is not a well-formed token of that kind signed with `key`, or when an id
// it names is not a valid id.
std::optional<token_subject> verify_token(token_kind kind, std::string_view token, std::string_view key);

// ---- pagination (Django REST framework's PageNumberPagination) ------------------------------
struct page_request {
    std::size_t page = 1;       // 1-based
    std::size_t page_size = 0;  // results per page
};
// `page` and `page_size` as the query gives them (nullopt: absent). A page that is not a positive
// integer is an invalid page (nullopt → 404 "Invalid page."); page_size is clamped to
// [1, max_page_size], an unparsable one falls back to the default, as DRF does.
std::optional<page_request> parse_page(const std::optional<std::string>& page,
                                       const std::optional<std::string>& page_size, std::size_t default_size,
                                       std::size_t max_size, bool page_size_allowed);
// Whether the page exists: page 1 always does (an empty list); others need a result on them.
bool page_exists(const page_request& page, std::size_t count);
// The envelope {count, next, previous, results}. `base_url` is "http://host/path"; `query` is the
// request's query string, kept except for its page parameter.
boost::json::object page_envelope(std::size_t count, const page_request& page, std::string_view base_url,
                                  std::string_view query, boost::json::array results);

// ---- writes ---------------------------------------------------------------------------------
// DRF's validation body: {"field": ["message", …]} (nested objects name their path "a.b" here
// and are rendered nested by validation_body()).
using field_errors = std::map<std::string, std::vector<std::string>>;
boost::json::object validation_body(const field_errors& errors);

enum class success_status : std::uint8_t { passed, failed };

// A lesson-progress write (PUT/PATCH are both partial). Absent fields are left alone.
struct lesson_update {
    std::optional<std::optional<std::int64_t>> completed_at{};  // set: complete; set to null: un-complete
    std::optional<std::int64_t> finished_at{};                  // complete (no validation in progressd)
    std::optional<std::optional<success_status>> success{};     // null: no verdict
    std::optional<double> score{};
    std::optional<double> max_score{};
    std::optional<std::string> custom_data{};

    bool completes() const { return finished_at || (completed_at && *completed_at); }
    bool uncompletes() const { return completed_at && !*completed_at && !finished_at; }
    bool touches_quiz() const { return success || score || max_score; }
};
// `prefix` names the enclosing object in errors ("lesson_progress."). `token_fields_only`: a
// progress token accepts completed_at, success_status, score and max_score only.
lesson_update parse_lesson_update(const boost::json::object& body, std::string_view prefix, bool token_fields_only,
                                  field_errors& errors);

struct course_update {
    std::optional<std::optional<std::int64_t>> completed_at{};
    std::optional<std::optional<success_status>> success{};
};
course_update parse_course_update(const boost::json::object& course_progress, field_errors& errors);

// completed_at and finished_at say when the user completed the lesson (the reference's wording):
// they become the record's completion time, so completions back-filled from another system keep
// their dates (docs/compat-skilljar.md). A time further ahead of the server's clock than this is
// refused: clocks disagree by seconds, so minutes ahead is a wrong zone or unit, not a completion.
inline constexpr std::int64_t completion_time_lead_ms = 5 * 60 * 1000;
// When a lesson write completes the lesson: completed_at, else finished_at; nullopt when it
// does not complete it.
std::optional<std::int64_t> completion_time(const lesson_update& update);
// Nullopt when every time the write gives can be a completion time at `now_ms`; else the
// {"detail"} of the 400 that refuses the whole write.
std::optional<std::string> refuse_completion_times(const lesson_update& update, std::int64_t now_ms);
std::optional<std::string> refuse_completion_times(const course_update& update, std::int64_t now_ms);

// The quiz attempt progressd keeps for Skilljar's score/max_score/success_status.
inline constexpr const char* skilljar_attempt_id = "skilljar";
void apply_quiz(store::assessment_state& state, const lesson_update& update, std::int64_t now_ms);
// Adds an error (fields under `prefix`) when the Skilljar attempt the write would leave, from
// the given score and max_score over the kept attempt (`quiz` null: none), has a max_score below
// 1, none at all, or a score above it: the native API refuses such an attempt too.
void check_scores(const lesson_update& update, const store::assessment_state* quiz, std::string_view prefix,
                  field_errors& errors);
// A course's success_status lives on the course id's quiz state.
void apply_course_verdict(store::assessment_state& state, std::optional<success_status> verdict, std::int64_t now_ms);

struct enrollment_create {
    std::string user_id;
    std::optional<std::int64_t> enrolled_at{};
    std::optional<std::int64_t> expires_at{};  // 0: never
    std::optional<bool> active{};
};
enrollment_create parse_enrollment_create(const boost::json::object& body, field_errors& errors);
// PUT/PATCH of an enrolment: expires_at and active.
store::enrolment_update parse_enrollment_update(const boost::json::object& body, field_errors& errors);

// An enrolment's id names (user, context); the course is in the path.
std::string enrollment_id(std::string_view user_id, std::string_view context_id);
std::optional<std::pair<std::string, std::string>> parse_enrollment_id(std::string_view id);
// The context a new enrolment goes to when the user already has another one in the course
// (Skilljar allows several): "enrolled-<ms>".
std::string enrollment_context(std::int64_t enrolled_at);

// ---- responses ------------------------------------------------------------------------------
boost::json::value success_json(const store::assessment_state* quiz);

struct lesson_view {
    std::string_view user_id;
    std::string_view course_id;
    const store::node_progress* lesson = nullptr;   // the aggregate's leaf
    std::size_t order = 0;                          // position in the course, 1-based
    const store::progress_record* record = nullptr;  // null: never touched
    const store::assessment_state* quiz = nullptr;
    std::string lesson_progress_id;
};
boost::json::object lesson_to_json(const lesson_view& view);

struct course_view {
    std::string_view course_id;
    const store::node_progress* course = nullptr;
    std::int64_t enrolled_at = 0;  // 0: no enrolment
    const store::assessment_state* verdict = nullptr;
};
boost::json::object course_to_json(const course_view& view);

boost::json::object enrollment_to_json(std::string_view user_id, std::string_view context_id,
                                       const store::enrolment& value);

}  // namespace progressd::skilljar
