#include "store/postgres/shared_rows.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

namespace progressd::store {
namespace {

constexpr statement catalog_statement{"progressd_load_catalog_ids", R"sql(
SELECT content_id, payload FROM catalog WHERE content_id = ANY($1::text[]) ORDER BY content_id COLLATE "C"
)sql"};

constexpr statement webhooks_statement{"progressd_load_webhooks_ids", R"sql(
SELECT webhook_id, payload FROM webhooks WHERE webhook_id = ANY($1::text[]) ORDER BY webhook_id COLLATE "C"
)sql"};

template <class T, class Decode>
pg_outcome<std::vector<T>> load_by_ids(connection& conn, const statement& stmt, std::string_view table,
                                       std::span<const std::string> ids, Decode decode) {
    if (ids.empty()) return std::vector<T>{};
    pg_binary::array_builder array{pg_binary::text_oid};
    for (const auto& id : ids) array.add_bytes(id);
    query_params params;
    params.add_binary(array.finish());
    return row_batching::load_rows<T>(conn, stmt, params, [&](const query_result& result, int i) -> pg_outcome<T> {
        const std::string_view key = result.bytes(i, 0);
        std::optional<T> row = decode(key, result.bytes(i, 1));
        if (!row) return row_batching::malformed_row(table, key, "payload");
        return std::move(*row);
    });
}

}  // namespace

pg_outcome<std::vector<content_entry>> load_catalog_entries(connection& conn, std::span<const std::string> ids) {
    return load_by_ids<content_entry>(conn, catalog_statement, "catalog", ids, decode_catalog_entry);
}

pg_outcome<std::vector<webhook>> load_webhooks_by_id(connection& conn, std::span<const std::string> ids) {
    return load_by_ids<webhook>(conn, webhooks_statement, "webhooks", ids, decode_webhook);
}

}  // namespace progressd::store
