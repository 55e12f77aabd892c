#pragma once
// The Education Progress API's shapes (docs/compat-education.md), as pure functions
// of store values: no HTTP, no locks, no clock. handlers/compat/education/education.cpp adapts them to HTTP; the
// unit tests call them directly.

#include "store/aggregate.hpp"
#include "store/assessments.hpp"
#include "store/overwrite.hpp"
#include "store/record.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::education {

// One entry of FastAPI's 422 `detail` list (pydantic v2 wording).
struct validation_error {
    boost::json::array loc;  // e.g. ["path", "course_id"], ["body", "status"]
    std::string msg;
    std::string type;
    boost::json::value input;  // null when there was none
    boost::json::object ctx;   // {} when the error has no context
};

boost::json::object validation_body(const std::vector<validation_error>& errors);

// Pydantic's UUID parsing: hyphenated, simple (32 hex digits), `urn:uuid:` and braced forms, any
// case. Returns the canonical lowercase hyphenated form, or nullopt with `reason` set to the
// parser's message ("invalid length: …", "invalid character: …").
std::optional<std::string> canonical_uuid(std::string_view text, std::string& reason);
// The uuid_parsing error for a path parameter that is not a UUID.
validation_error uuid_error(std::string_view location, std::string_view name, std::string_view input,
                            std::string_view reason);

std::string_view status_name(store::progress_status status);
std::optional<store::progress_status> parse_status(std::string_view name);
// Our seconds as the API's whole minutes (rounded down).
std::int64_t whole_minutes(double seconds);

struct lesson_ids {
    std::string_view user_id;
    std::string_view course_id;
    std::string_view lesson_id;
};

// One lesson record with every documented field; `quiz` null when the lesson has no attempt.
boost::json::object lesson_to_json(const lesson_ids& ids, const store::progress_record& record,
                                   const store::assessment_state* quiz);


// GET …/summary over the course's aggregate.
boost::json::object summary_to_json(std::string_view course_id, const store::node_progress& course);

// Limits of the PUT body's fields.
inline constexpr std::size_t max_notes_bytes = 4096;
inline constexpr std::size_t max_metadata_bytes = 4096;
inline constexpr double max_position_seconds = 1e7;
inline constexpr double max_time_spent_minutes = 1e7 / 60;
inline constexpr std::int64_t max_quiz_attempts = 1000000;

struct lesson_update {
    store::record_overwrite record;
    store::quiz_overwrite quiz;
};

// Reads the PUT body (already parsed, any JSON value): every documented field optional, null
// meaning "not given" except user_notes and metadata, where null clears. Appends one error per
// bad field; unknown fields are ignored (FastAPI's default).
lesson_update parse_lesson_update(const boost::json::value& body, std::vector<validation_error>& errors);

}  // namespace progressd::education
