#include "store/postgres/record_deletes.hpp"

#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

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
    const auto kept = row_batching::last_of_each_key(keys.size(), [&](std::size_t i) {
        return std::tie(keys[i].user_id, keys[i].context_id, keys[i].content_id);
    });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder user{bin::text_oid}, context{bin::text_oid}, content{bin::text_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const user_record_key& key = keys[kept[i]];
            user.add_bytes(key.user_id);
            context.add_bytes(key.context_id);
            content.add_bytes(key.content_id);
        }
        query_params params;
        for (const auto* column : {&user, &context, &content}) params.add_binary(column->finish());
        auto deleted = txn.conn().run(delete_records_statement, params);
        if (!deleted) return deleted.error();
        return static_cast<std::size_t>(deleted->affected());
    });
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
