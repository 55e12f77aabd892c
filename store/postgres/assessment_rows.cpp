#include "store/postgres/assessment_rows.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/partition.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

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
        query_params params;
        for (const auto* column :
             {&partition, &user, &context, &content, &attempt_count, &best_score, &passed, &payload}) {
            params.add_binary(column->finish());
        }
        auto written = txn.conn().run(upsert_statement, params);
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_assessments(transaction& txn, std::span<const user_record_key> keys) {
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
        auto deleted = txn.conn().run(delete_statement, params);
        if (!deleted) return deleted.error();
        return static_cast<std::size_t>(deleted->affected());
    });
}

pg_outcome<std::vector<loaded_assessment>> load_user_assessments(connection& conn, std::string_view user_id) {
    query_params params;
    params.add_text(user_id);
    auto result = conn.run(load_statement, params, result_format::binary);
    if (!result) return result.error();
    std::vector<loaded_assessment> states;
    states.reserve(static_cast<std::size_t>(result->rows()));
    for (int i = 0; i < result->rows(); ++i) {
        loaded_assessment row;
        row.key.context_id = std::string(result->bytes(i, 0));
        row.key.content_id = std::string(result->bytes(i, 1));
        auto state = decode_assessment_state(result->bytes(i, 2));
        if (!state) {
            std::string key(user_id);
            key.append(", ").append(row.key.context_id).append(", ").append(row.key.content_id);
            return row_batching::malformed_row("assessments", key, "payload");
        }
        row.state = std::move(*state);
        states.push_back(std::move(row));
    }
    return states;
}

}  // namespace progressd::store
