#include "store/postgres/catalog_rows.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

constexpr statement upsert_statement{"progressd_upsert_catalog", R"sql(
INSERT INTO catalog (content_id, type, parent_id, learned, updated_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int8[], $6::bytea[])
ON CONFLICT (content_id) DO UPDATE SET
    type = EXCLUDED.type, parent_id = EXCLUDED.parent_id, learned = EXCLUDED.learned,
    updated_at = EXCLUDED.updated_at, payload = EXCLUDED.payload
)sql"};

constexpr statement delete_statement{"progressd_delete_catalog", R"sql(
DELETE FROM catalog WHERE content_id = ANY($1::text[])
)sql"};

// The byte-wise order keeps the result independent of the database's collation.
constexpr statement load_statement{"progressd_load_catalog", R"sql(
SELECT content_id, payload FROM catalog ORDER BY content_id COLLATE "C"
)sql"};

}  // namespace

pg_outcome<std::size_t> upsert_catalog(transaction& txn, std::span<const content_entry> entries) {
    const auto kept = row_batching::last_of_each_key(entries.size(), [&](std::size_t i) { return std::tie(entries[i].id); });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder id{bin::text_oid}, type{bin::text_oid}, parent{bin::text_oid}, learned{bin::bool_oid},
            updated_at{bin::int8_oid}, payload{bin::bytea_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const content_entry& entry = entries[kept[i]];
            id.add_bytes(entry.id);
            type.add_bytes(entry.type);
            // "No parent" is NULL, so a report's IS NULL means what it says.
            if (entry.parent_id.empty()) parent.add_null();
            else parent.add_bytes(entry.parent_id);
            learned.add_bool(entry.learned);
            updated_at.add_int(entry.updated_at);
            payload.add_bytes(encode_catalog_entry(entry));
        }
        query_params params;
        for (const auto* column : {&id, &type, &parent, &learned, &updated_at, &payload}) params.add_binary(column->finish());
        auto written = txn.conn().run(upsert_statement, params);
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_catalog(transaction& txn, std::span<const std::string_view> ids) {
    const auto kept = row_batching::last_of_each_key(ids.size(), [&](std::size_t i) { return std::tie(ids[i]); });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder id{bin::text_oid};
        for (std::size_t i = begin; i < end; ++i) id.add_bytes(ids[kept[i]]);
        query_params params;
        params.add_binary(id.finish());
        auto deleted = txn.conn().run(delete_statement, params);
        if (!deleted) return deleted.error();
        return static_cast<std::size_t>(deleted->affected());
    });
}

pg_outcome<std::vector<content_entry>> load_catalog(connection& conn) {
    auto result = conn.run(load_statement, query_params{}, result_format::binary);
    if (!result) return result.error();
    std::vector<content_entry> entries;
    entries.reserve(static_cast<std::size_t>(result->rows()));
    for (int i = 0; i < result->rows(); ++i) {
        const std::string_view id = result->bytes(i, 0);
        auto entry = decode_catalog_entry(id, result->bytes(i, 1));
        if (!entry) return row_batching::malformed_row("catalog", id, "payload");
        entries.push_back(std::move(*entry));
    }
    return entries;
}

}  // namespace progressd::store
