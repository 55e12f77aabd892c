#pragma once
// The decoders of one user's rows, shared by the loads of each table (record_rows.cpp,
// enrolment_rows.cpp, assessment_rows.cpp) and the load of a user's whole state in one statement
// (user_state_rows.cpp). Each reads row `i` of a binary result from column 0 on, in the column
// order of its table's load statement, and returns an error naming the key of a row that does
// not decode.

#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/query_result.hpp"
#include "store/postgres/record_rows.hpp"

#include <string_view>

namespace progressd::store {

// context_id, content_id, record_id, status, progress_percent, position_seconds, duration_seconds,
// time_spent_seconds, views, position_ts, first_accessed_at, last_accessed_at, updated_at,
// completed_at, mimetype, hidden, extra.
pg_outcome<loaded_record> decode_record_row(const query_result& result, int i, std::string_view user_id);
// collection_id, context_id, enrolled_at, expires_at, active, implicit, updated_at.
pg_outcome<loaded_enrolment> decode_enrolment_row(const query_result& result, int i, std::string_view user_id);
// context_id, content_id, payload.
pg_outcome<loaded_assessment> decode_assessment_row(const query_result& result, int i, std::string_view user_id);

}  // namespace progressd::store
