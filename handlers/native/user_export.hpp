#pragma once
// A user's stored data (docs/native-api.md, export): records, enrolments and assessment attempts,
// as one JSON document or one CSV table.

#include "store/assessments.hpp"
#include "store/enrolments.hpp"
#include "store/record.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd {

struct services;

struct user_data {
    std::vector<std::pair<store::record_key, store::progress_record>> records;
    std::vector<std::pair<store::enrolment_key, store::enrolment>> enrolments;
    std::vector<std::pair<store::record_key, store::assessment_state>> assessments;
};

user_data collect_user_data(const services& context, std::string_view user_id);

// {"user_id", "exported_at", "records": [...], "enrolments": [...], "assessments": [...]}, each
// item in the shape its own endpoint answers; records also carry their notes, bookmarked and
// metadata, which the record's own JSON leaves out.
boost::json::object user_data_to_json(std::string_view user_id, const user_data& data, std::int64_t now_ms);

// One table, a header row then one row per record, enrolment and assessment attempt; the `kind`
// column says which, and the columns that do not apply to a kind are empty (RFC 4180 quoting).
// A record's notes, bookmarked and metadata are the last three columns.
std::string user_data_to_csv(std::string_view user_id, const user_data& data);

}  // namespace progressd
