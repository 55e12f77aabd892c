#include "store/postgres/assessment_rows.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/partition.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"
#include "store/postgres/user_row_decoders.hpp"

#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

constexpr statement upsert_statement{"progressd_upsert_assessments", R"sql(
INSERT INTO assessments (partition, user_id, context_id, content_id, attempt_count, best_score, passed, payload)
SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::float8[], $7::bool[],
    $8::bytea[])
ON CONFLICT (user_id, context_id, content_id) DO UPDATE SET
    partition = EXCLUDED.partition, attempt_count = EXCLUDED.attempt_count, best_score = EXCLUDED.best_score,
    passed = EXCLUDED.passed, payload = EXCLUDED.payload
)sql"};

constexpr statement delete_statement{"progressd_delete_assessments", R"sql(
DELETE FROM assessments AS a
USING unnest($1::text[], $2::text[], $3::text[]) AS d(user_id, context_id, content_id)
WHERE a.user_id = d.user_id AND a.context_id = d.context_id AND a.content_id = d.content_id
)sql"};

constexpr statement load_statement{"progressd_load_user_assessments", R"sql(
SELECT context_id, content_id, payload FROM assessments WHERE user_id = $1::text
ORDER BY context_id COLLATE "C", content_id COLLATE "C"
)sql"};

}  // namespace

// The state of row `i` of a load result; the error names the key of a payload that does not decode.
pg_outcome<loaded_assessment> decode_assessment_row(const query_result& result, int i, std::string_view user_id) {
    loaded_assessment out;
    out.key.context_id = std::string(result.bytes(i, 0));
    out.key.content_id = std::string(result.bytes(i, 1));
    auto state = decode_assessment_state(result.bytes(i, 2));
    if (!state) {
        return row_batching::malformed_row(
            "assessments", row_batching::user_row_key(user_id, out.key.context_id, out.key.content_id), "payload");
    }
    out.state = std::move(*state);
    return out;
}

pg_outcome<std::size_t> upsert_assessments(transaction& txn, std::span<const assessment_row> rows) {
    const auto kept = row_batching::last_of_each_key(rows.size(), [&](std::size_t i) {
        return std::tie(rows[i].user_id, rows[i].key.context_id, rows[i].key.content_id);
    });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder partition{bin::int4_oid}, user{bin::text_oid}, context{bin::text_oid},
            content{bin::text_oid}, attempt_count{bin::int8_oid}, best_score{bin::float8_oid}, passed{bin::bool_oid},
            payload{bin::bytea_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const assessment_row& row = rows[kept[i]];
            partition.add_int(static_cast<std::int32_t>(partition_of(row.user_id)));
            user.add_bytes(row.user_id);
            context.add_bytes(row.key.context_id);
            content.add_bytes(row.key.content_id);
            attempt_count.add_int(static_cast<std::int64_t>(row.state.attempt_count));
            best_score.add_double(row.state.best_score());
            passed.add_bool(row.state.passed());
            payload.add_bytes(encode_assessment_state(row.state));
        }
        auto written = row_batching::run_arrays(txn, upsert_statement, {&partition, &user, &context, &content,
                                                                        &attempt_count, &best_score, &passed, &payload});
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_assessments(transaction& txn, std::span<const user_record_key> keys) {
    return row_batching::delete_by_text_keys(txn, delete_statement, keys);
}

pg_outcome<std::vector<loaded_assessment>> load_user_assessments(connection& conn, std::string_view user_id) {
    return row_batching::load_user_rows<loaded_assessment>(conn, load_statement, user_id, decode_assessment_row);
}

}  // namespace progressd::store
