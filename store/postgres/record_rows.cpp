#include "store/postgres/record_rows.hpp"

#include "store/coverage.hpp"
#include "store/partition.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/record_extra.hpp"
#include "store/postgres/row_batching.hpp"
#include "store/postgres/user_row_decoders.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

// One statement for a whole chunk: each column arrives as one binary array and unnest turns the
// arrays back into rows. A prepared statement of fixed shape whatever the chunk's size, with no
// per-row parameter limit and no escaping.
constexpr statement upsert_statement{"progressd_upsert_records", R"sql(
INSERT INTO records (partition, user_id, context_id, content_id, record_id, status, progress_percent,
    watched_percent, position_seconds, duration_seconds, time_spent_seconds, views, position_ts,
    first_accessed_at, last_accessed_at, updated_at, completed_at, mimetype, hidden, extra)
SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::int2[], $7::float8[],
    $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::int8[], $13::int8[],
    $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::text[], $19::bool[], $20::bytea[])
ON CONFLICT (user_id, context_id, content_id) DO UPDATE SET
    partition = EXCLUDED.partition, record_id = EXCLUDED.record_id, status = EXCLUDED.status,
    progress_percent = EXCLUDED.progress_percent, watched_percent = EXCLUDED.watched_percent,
    position_seconds = EXCLUDED.position_seconds, duration_seconds = EXCLUDED.duration_seconds,
    time_spent_seconds = EXCLUDED.time_spent_seconds, views = EXCLUDED.views,
    position_ts = EXCLUDED.position_ts, first_accessed_at = EXCLUDED.first_accessed_at,
    last_accessed_at = EXCLUDED.last_accessed_at, updated_at = EXCLUDED.updated_at,
    completed_at = EXCLUDED.completed_at, mimetype = EXCLUDED.mimetype, hidden = EXCLUDED.hidden,
    extra = EXCLUDED.extra
)sql"};

// The byte-wise order keeps the result independent of the database's collation.
constexpr statement load_user_statement{"progressd_load_user", R"sql(
SELECT context_id, content_id, record_id, status, progress_percent, position_seconds, duration_seconds,
    time_spent_seconds, views, position_ts, first_accessed_at, last_accessed_at, updated_at,
    completed_at, mimetype, hidden, extra
FROM records WHERE user_id = $1::text
ORDER BY context_id COLLATE "C", content_id COLLATE "C"
)sql"};

// The columns of one chunk, in the statement's parameter order.
struct column_arrays {
    bin::array_builder partition{bin::int4_oid}, user_id{bin::text_oid}, context_id{bin::text_oid},
        content_id{bin::text_oid}, record_id{bin::uuid_oid}, status{bin::int2_oid},
        progress_percent{bin::float8_oid}, watched_percent{bin::float8_oid}, position_seconds{bin::float8_oid},
        duration_seconds{bin::float8_oid}, time_spent_seconds{bin::float8_oid}, views{bin::int8_oid},
        position_ts{bin::int8_oid}, first_accessed_at{bin::int8_oid}, last_accessed_at{bin::int8_oid},
        updated_at{bin::int8_oid}, completed_at{bin::int8_oid}, mimetype{bin::text_oid}, hidden{bin::bool_oid},
        extra{bin::bytea_oid};

    void add(const record_row& row, std::string& scratch) {
        const progress_record& r = row.record;
        partition.add_int(static_cast<std::int32_t>(partition_of(row.user_id)));
        user_id.add_bytes(row.user_id);
        context_id.add_bytes(row.key.context_id);
        content_id.add_bytes(row.key.content_id);
        record_id.add_bytes({reinterpret_cast<const char*>(r.record_id.data()), r.record_id.size()});
        status.add_int(static_cast<std::int16_t>(r.status));
        progress_percent.add_double(r.progress_percent);
        watched_percent.add_double(store::watched_percent(r.watched));
        position_seconds.add_double(r.position_seconds);
        duration_seconds.add_double(r.duration_seconds);
        time_spent_seconds.add_double(r.time_spent_seconds);
        views.add_int(static_cast<std::int64_t>(r.views));
        // The in-memory "none" values are NULL, so a report's IS NULL means what it says.
        if (r.position_ts == no_position_ts) position_ts.add_null();
        else position_ts.add_int(r.position_ts);
        first_accessed_at.add_int(r.first_accessed_at);
        last_accessed_at.add_int(r.last_accessed_at);
        updated_at.add_int(r.updated_at);
        if (r.completed_at == 0) completed_at.add_null();
        else completed_at.add_int(r.completed_at);
        if (r.mimetype.empty()) mimetype.add_null();
        else mimetype.add_bytes(r.mimetype);
        hidden.add_bool(r.hidden);
        scratch.clear();
        encode_record_extra(scratch, r);
        if (scratch.empty()) extra.add_null();
        else extra.add_bytes(scratch);
    }

    query_params params() const {
        query_params p;
        for (const auto* column : {&partition, &user_id, &context_id, &content_id, &record_id, &status,
                                   &progress_percent, &watched_percent, &position_seconds, &duration_seconds,
                                   &time_spent_seconds, &views, &position_ts, &first_accessed_at,
                                   &last_accessed_at, &updated_at, &completed_at, &mimetype, &hidden, &extra}) {
            p.add_binary(column->finish());
        }
        return p;
    }
};

}  // namespace

// The record of row `i` of a load_user result; the error names what does not decode.
pg_outcome<loaded_record> decode_record_row(const query_result& result, int i, std::string_view user_id) {
    loaded_record out;
    out.key.context_id = std::string(result.bytes(i, 0));
    out.key.content_id = std::string(result.bytes(i, 1));
    const auto bad = [&](std::string_view what) {
        return row_batching::malformed_row(
            "records", row_batching::user_row_key(user_id, out.key.context_id, out.key.content_id), what);
    };
    progress_record& r = out.record;
    const auto uuid = result.bytes(i, 2);
    if (result.is_null(i, 2) || uuid.size() != r.record_id.size()) return bad("record_id");
    std::copy(uuid.begin(), uuid.end(), reinterpret_cast<char*>(r.record_id.data()));
    const auto status = result.int16(i, 3);
    if (!status || *status < 0 || *status > static_cast<std::int16_t>(progress_status::completed)) return bad("status");
    r.status = static_cast<progress_status>(*status);
    const auto percent = result.float8(i, 4), position = result.float8(i, 5), duration = result.float8(i, 6),
               spent = result.float8(i, 7);
    if (!percent || !position || !duration || !spent) return bad("a number column");
    r.progress_percent = *percent;
    r.position_seconds = *position;
    r.duration_seconds = *duration;
    r.time_spent_seconds = *spent;
    const auto views = result.int64(i, 8);
    if (!views || *views < 0 || *views > std::numeric_limits<std::uint32_t>::max()) return bad("views");
    r.views = static_cast<std::uint32_t>(*views);
    if (!result.is_null(i, 9)) {
        const auto ts = result.int64(i, 9);
        if (!ts || *ts == no_position_ts) return bad("position_ts");  // -1 is written as NULL
        r.position_ts = *ts;
    }
    const auto first = result.int64(i, 10), last = result.int64(i, 11), updated = result.int64(i, 12);
    if (!first || !last || !updated) return bad("a time column");
    r.first_accessed_at = *first;
    r.last_accessed_at = *last;
    r.updated_at = *updated;
    if (!result.is_null(i, 13)) {
        const auto completed = result.int64(i, 13);
        if (!completed || *completed == 0) return bad("completed_at");  // 0 is written as NULL
        r.completed_at = *completed;
    }
    if (!result.is_null(i, 14)) {
        r.mimetype = std::string(result.bytes(i, 14));
        if (r.mimetype.empty()) return bad("mimetype");  // "" is written as NULL
    }
    const auto hidden = result.boolean(i, 15);
    if (!hidden) return bad("hidden");
    r.hidden = *hidden;
    if (!result.is_null(i, 16) && !decode_record_extra(result.bytes(i, 16), r)) return bad("extra");
    return out;
}

pg_outcome<std::size_t> upsert_records(transaction& txn, std::span<const record_row> rows) {
    const auto kept = row_batching::last_of_each_key(rows.size(), [&](std::size_t i) {
        return std::tie(rows[i].user_id, rows[i].key.context_id, rows[i].key.content_id);
    });
    std::string scratch;
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        column_arrays columns;
        for (std::size_t i = begin; i < end; ++i) columns.add(rows[kept[i]], scratch);
        auto written = txn.conn().run(upsert_statement, columns.params());
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::vector<loaded_record>> load_user(connection& conn, std::string_view user_id) {
    return row_batching::load_user_rows<loaded_record>(conn, load_user_statement, user_id, decode_record_row);
}

}  // namespace progressd::store
