#include "store/postgres/user_state_rows.hpp"

#include "store/postgres/query_params.hpp"
#include "store/postgres/user_row_decoders.hpp"

namespace progressd::store {
namespace {

// The three tables' rows in one result. UNION ALL needs one type per column, so every cell is
// sent as bytea holding its column's binary wire form (the type's *send function: what a binary
// result of the column itself would carry), at the position its table's own load statement puts
// it; the decoders of those loads then read it unchanged. The table is the last column, a text
// cell's bytes sort as COLLATE "C" does, and NULL stays NULL.
constexpr statement load_statement{"progressd_load_user_state", R"sql(
SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, kind FROM (
    SELECT 0 AS kind, textsend(context_id) AS c0, textsend(content_id) AS c1, uuid_send(record_id) AS c2,
        int2send(status) AS c3, float8send(progress_percent) AS c4, float8send(position_seconds) AS c5,
        float8send(duration_seconds) AS c6, float8send(time_spent_seconds) AS c7, int8send(views) AS c8,
        int8send(position_ts) AS c9, int8send(first_accessed_at) AS c10, int8send(last_accessed_at) AS c11,
        int8send(updated_at) AS c12, int8send(completed_at) AS c13, textsend(mimetype) AS c14,
        boolsend(hidden) AS c15, extra AS c16
    FROM records WHERE user_id = $1::text
    UNION ALL
    SELECT 1, textsend(collection_id), textsend(context_id), int8send(enrolled_at), int8send(expires_at),
        boolsend(active), boolsend(implicit), int8send(updated_at),
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM enrolments WHERE user_id = $1::text
    UNION ALL
    SELECT 2, textsend(context_id), textsend(content_id), payload,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM assessments WHERE user_id = $1::text
) AS state
ORDER BY kind, c0, c1
)sql"};

constexpr int kind_column = 17;

// Appends the decoded row to `rows`; the decoder's error otherwise.
template <class Row, class Decode>
pg_status take(std::vector<Row>& rows, const query_result& result, int i, std::string_view user_id, Decode decode) {
    auto row = decode(result, i, user_id);
    if (!row) return row.error();
    rows.push_back(std::move(row).value());
    return {};
}

}  // namespace

pg_outcome<loaded_user_state> load_user_state(connection& conn, std::string_view user_id) {
    query_params params;
    params.add_text(user_id);
    auto result = conn.run(load_statement, params, result_format::binary);
    if (!result) return result.error();
    loaded_user_state state;
    for (int i = 0; i < result->rows(); ++i) {
        const auto kind = result->int32(i, kind_column);
        pg_status taken;
        if (kind == 0) taken = take(state.records, result.value(), i, user_id, decode_record_row);
        else if (kind == 1) taken = take(state.enrolments, result.value(), i, user_id, decode_enrolment_row);
        else if (kind == 2) taken = take(state.assessments, result.value(), i, user_id, decode_assessment_row);
        else taken = pg_error{pg_errc::malformed_row, {}, "user state row: an unknown kind"};
        if (!taken) return taken.error();
    }
    return state;
}

}  // namespace progressd::store
