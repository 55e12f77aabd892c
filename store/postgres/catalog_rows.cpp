#include "store/postgres/catalog_rows.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

// A learned entry never replaces a managed one: the rule of one server ("pings never change a
// managed collection") across nodes, where a node may write what it learned from a ping after
// another node's PUT made the collection managed (docs/cluster.md, "Shared state").
constexpr statement upsert_statement{"progressd_upsert_catalog", R"sql(
INSERT INTO catalog (content_id, type, parent_id, learned, updated_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int8[], $6::bytea[])
ON CONFLICT (content_id) DO UPDATE SET
    type = EXCLUDED.type, parent_id = EXCLUDED.parent_id, learned = EXCLUDED.learned,
    updated_at = EXCLUDED.updated_at, payload = EXCLUDED.payload
WHERE NOT (EXCLUDED.learned AND NOT catalog.learned)
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
        auto written =
            row_batching::run_arrays(txn, upsert_statement, {&id, &type, &parent, &learned, &updated_at, &payload});
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_catalog(transaction& txn, std::span<const std::string_view> ids) {
    return row_batching::delete_by_text_keys(txn, delete_statement, ids);
}

pg_outcome<std::vector<content_entry>> load_catalog(connection& conn) {
    return row_batching::load_payload_rows<content_entry>(conn, load_statement, "catalog", decode_catalog_entry);
}

}  // namespace progressd::store
