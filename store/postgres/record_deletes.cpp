#include "store/postgres/record_deletes.hpp"

#include "store/postgres/row_batching.hpp"

namespace progressd::store {
namespace {

constexpr statement delete_records_statement{"progressd_delete_records", R"sql(
DELETE FROM records AS r
USING unnest($1::text[], $2::text[], $3::text[]) AS d(user_id, context_id, content_id)
WHERE r.user_id = d.user_id AND r.context_id = d.context_id AND r.content_id = d.content_id
)sql"};

// Every data-modifying part of a WITH runs, whether or not the outer query reads it.
constexpr statement delete_user_statement{"progressd_delete_user", R"sql(
WITH r AS (DELETE FROM records WHERE user_id = $1::text RETURNING 1),
     e AS (DELETE FROM enrolments WHERE user_id = $1::text RETURNING 1),
     a AS (DELETE FROM assessments WHERE user_id = $1::text RETURNING 1)
SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM e), (SELECT count(*) FROM a)
)sql"};

}  // namespace

pg_outcome<std::size_t> delete_records(transaction& txn, std::span<const user_record_key> keys) {
    return row_batching::delete_by_text_keys(txn, delete_records_statement, keys);
}

pg_outcome<erased_rows> delete_user(transaction& txn, std::string_view user_id) {
    query_params params;
    params.add_text(user_id);
    auto result = txn.conn().run(delete_user_statement, params, result_format::binary);
    if (!result) return result.error();
    const auto unexpected = pg_error{pg_errc::statement_failed, {}, "delete_user: unexpected answer"};
    if (result->rows() != 1 || result->columns() != 3) return unexpected;
    const auto records = result->int64(0, 0), enrolments = result->int64(0, 1), assessments = result->int64(0, 2);
    if (!records || !enrolments || !assessments) return unexpected;
    return erased_rows{static_cast<std::size_t>(*records), static_cast<std::size_t>(*enrolments),
                       static_cast<std::size_t>(*assessments)};
}

}  // namespace progressd::store
