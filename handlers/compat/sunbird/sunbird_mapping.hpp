#pragma once
// The Sunbird Viewer Service's shapes (docs/compat-sunbird.md), as pure functions of
// store values: no HTTP, no locks, no clock. handlers/compat/sunbird/sunbird.cpp adapts them to HTTP; the unit
// tests call them directly.

#include "handlers/api_error.hpp"
#include "store/aggregate.hpp"
#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/ping.hpp"
#include "store/record.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::sunbird {

// ms since the epoch → "2021-06-23 05:37:40:575+0000", the document's `ts`.
std::string format_ts(std::int64_t ms);
// ms since the epoch → "2021-09-10" (the summary's completedOn); 0 → null.
boost::json::value format_date(std::int64_t ms);
// Whole numbers as JSON integers (Boost.JSON would write 20.0 as 2E1), others as doubles.
boost::json::value number(double value);

// {id, ver, ts, params{resmsgid, msgid, err, status, errmsg}, responseCode: "OK", result}.
boost::json::object success_envelope(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                                     boost::json::value result);

// An error as the family writes it: the HTTP status, responseCode, params.err, params.errmsg and
// the `result` naming each bad field ({"request.contentId": "Content Id cannot be empty"}).
struct failure {
    unsigned http_status = 500;
    std::string response_code;  // BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, RESOURCE_NOT_FOUND, SERVER_ERROR…
    std::string err;            // CLIENT_ERROR or SERVER_ERROR
    std::string errmsg;
    boost::json::object result;
};
failure failure_for(const api_error& error);
boost::json::object failure_envelope(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                                     const failure& failed);

// The incoming envelope {id, ver, ts, params:{msgid}, request:{…}}: msgid (null when absent) and
// the request object (null when absent or not an object).
struct envelope_in {
    boost::json::value msgid;
    const boost::json::object* request = nullptr;
};
envelope_in read_envelope(const boost::json::object& body);

enum class view_call : std::uint8_t { start, update, end };

inline constexpr double max_timespent_seconds = 3600;  // one update's time, as a ping's delta
inline constexpr std::size_t max_details_bytes = 4096;
inline constexpr std::size_t max_mimetype_bytes = 255;

struct view_request {
    std::string content_id;
    std::string collection_id;  // empty: none
    std::string context_id;     // empty: organic consumption
    std::optional<double> progress;
    std::optional<std::string> mimetype;
    std::optional<std::string> details;  // progressDetails, serialized
    double timespent = 0;
};

// Reads view/start|update|end's `request`; appends one field_error per bad field, named as the
// document names them ("request.contentId").
view_request parse_view(const boost::json::object& request, view_call call, std::vector<field_error>& errors);

// The view call as a ping: start → start, update → update with progress and time, end →
// complete (Sunbird's end means the content is done: status 2, progress 100).
store::ping to_ping(const view_request& view, view_call call);

// The envelope's msgid as the ping's idempotency key (docs/compat-sunbird.md, "Retries"): session
// "msgid:<call>:<msgid>" (call: start, update or end), seq 1, so a retry of the same call with the
// same msgid is a duplicate by merge rule 3 of docs/data-model.md, remembered with the record's
// other sessions. A msgid that is absent, not a string or empty keys nothing.
void key_by_msgid(store::ping& ping, view_call call, const boost::json::value& msgid);

// progressDetails as last stored, with `progress` the record's percent.
boost::json::object progress_details(const store::progress_record& record);

// One entry of view/read's contents.
boost::json::object content_to_json(std::string_view user_id, std::string_view context_id,
                                    std::string_view content_id, const boost::json::value& collection_id,
                                    const store::progress_record& record);

// An ASSESS event list → item results: edata.item.id, edata.score, edata.item.maxscore. Events
// without an item id are skipped; a non-array or non-object entry is an error.
std::optional<std::vector<store::item_result>> assess_items(const boost::json::value& events, std::string& reason);

// One attempt of assessment/read: {attemptId, score, max_score}.
boost::json::object attempt_to_json(const store::assessment_attempt& attempt);

// One enrolment summary (summary/list, summary/read). `course` is the user's aggregate of the
// collection in the enrolment's context (nullptr when the catalog does not know it), `records`
// the contents the user touched there with their status, `quizzes` the best score per content.
struct quiz_status {
    std::string content_id;
    double score = 0;
    double max_score = 0;
};
boost::json::object summary_to_json(std::string_view user_id, const store::enrolment_key& key,
                                    const store::enrolment& value, const store::content_entry* collection,
                                    const store::node_progress* course,
                                    const std::vector<std::pair<std::string, store::progress_status>>& statuses,
                                    const std::vector<quiz_status>& quizzes);

// The best attempt's score and its max_score.
quiz_status best_of(std::string_view content_id, const store::assessment_state& state);

// summary/download's file: a JSON array of summaries, or CSV with one row per summary.
std::string summaries_to_csv(const boost::json::array& summaries);

// Leaves under a collection's aggregate (nested collections followed).
std::size_t leaf_count(const store::node_progress& node);

}  // namespace progressd::sunbird
