#include "store/postgres/enrolment_rows.hpp"

#include "store/partition.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"
#include "store/postgres/user_row_decoders.hpp"

#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

constexpr statement upsert_statement{"progressd_upsert_enrolments", R"sql(
INSERT INTO enrolments (partition, user_id, collection_id, context_id, enrolled_at, expires_at, active,
    implicit, updated_at)
SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::bool[],
    $8::bool[], $9::int8[])
ON CONFLICT (user_id, collection_id, context_id) DO UPDATE SET
    partition = EXCLUDED.partition, enrolled_at = EXCLUDED.enrolled_at, expires_at = EXCLUDED.expires_at,
    active = EXCLUDED.active, implicit = EXCLUDED.implicit, updated_at = EXCLUDED.updated_at
)sql"};

constexpr statement delete_statement{"progressd_delete_enrolments", R"sql(
DELETE FROM enrolments AS e
USING unnest($1::text[], $2::text[], $3::text[]) AS d(user_id, collection_id, context_id)
WHERE e.user_id = d.user_id AND e.collection_id = d.collection_id AND e.context_id = d.context_id
)sql"};

constexpr statement load_statement{"progressd_load_user_enrolments", R"sql(
SELECT collection_id, context_id, enrolled_at, expires_at, active, implicit, updated_at
FROM enrolments WHERE user_id = $1::text
ORDER BY collection_id COLLATE "C", context_id COLLATE "C"
)sql"};

}  // namespace

// The enrolment of row `i` of a load result; the error names what does not decode.
pg_outcome<loaded_enrolment> decode_enrolment_row(const query_result& result, int i, std::string_view user_id) {
    loaded_enrolment out;
    out.key.collection_id = std::string(result.bytes(i, 0));
    out.key.context_id = std::string(result.bytes(i, 1));
    const auto bad = [&](std::string_view what) {
        return row_batching::malformed_row(
            "enrolments", row_batching::user_row_key(user_id, out.key.collection_id, out.key.context_id), what);
    };
    const auto enrolled = result.int64(i, 2), updated = result.int64(i, 6);
    const auto active = result.boolean(i, 4), implicit = result.boolean(i, 5);
    if (!enrolled || !updated) return bad("a time column");
    if (!active || !implicit) return bad("a flag column");
    out.value.enrolled_at = *enrolled;
    out.value.updated_at = *updated;
    out.value.active = *active;
    out.value.implicit = *implicit;
    if (!result.is_null(i, 3)) {
        const auto expires = result.int64(i, 3);
        if (!expires || *expires == 0) return bad("expires_at");  // 0 is written as NULL
        out.value.expires_at = *expires;
    }
    return out;
}

pg_outcome<std::size_t> upsert_enrolments(transaction& txn, std::span<const enrolment_row> rows) {
    const auto kept = row_batching::last_of_each_key(rows.size(), [&](std::size_t i) {
        return std::tie(rows[i].user_id, rows[i].key.collection_id, rows[i].key.context_id);
    });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder partition{bin::int4_oid}, user{bin::text_oid}, collection{bin::text_oid},
            context{bin::text_oid}, enrolled_at{bin::int8_oid}, expires_at{bin::int8_oid}, active{bin::bool_oid},
            implicit{bin::bool_oid}, updated_at{bin::int8_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const enrolment_row& row = rows[kept[i]];
            partition.add_int(static_cast<std::int32_t>(partition_of(row.user_id)));
            user.add_bytes(row.user_id);
            collection.add_bytes(row.key.collection_id);
            context.add_bytes(row.key.context_id);
            enrolled_at.add_int(row.value.enrolled_at);
            if (row.value.expires_at == 0) expires_at.add_null();
            else expires_at.add_int(row.value.expires_at);
            active.add_bool(row.value.active);
            implicit.add_bool(row.value.implicit);
            updated_at.add_int(row.value.updated_at);
        }
        auto written = row_batching::run_arrays(txn, upsert_statement, {&partition, &user, &collection, &context,
                                                                        &enrolled_at, &expires_at, &active, &implicit,
                                                                        &updated_at});
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_enrolments(transaction& txn, std::span<const user_enrolment_key> keys) {
    return row_batching::delete_by_text_keys(txn, delete_statement, keys.size(), [&](std::size_t i) {
        return std::tie(keys[i].user_id, keys[i].collection_id, keys[i].context_id);
    });
}

pg_outcome<std::vector<loaded_enrolment>> load_user_enrolments(connection& conn, std::string_view user_id) {
    return row_batching::load_user_rows<loaded_enrolment>(conn, load_statement, user_id, decode_enrolment_row);
}

}  // namespace progressd::store
