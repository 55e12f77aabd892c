#include "store/postgres/webhook_rows.hpp"

#include "store/codec/event_codec.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

constexpr statement upsert_statement{"progressd_upsert_webhooks", R"sql(
INSERT INTO webhooks (webhook_id, target_url, active, created_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::int8[], $5::bytea[])
ON CONFLICT (webhook_id) DO UPDATE SET
    target_url = EXCLUDED.target_url, active = EXCLUDED.active, created_at = EXCLUDED.created_at,
    payload = EXCLUDED.payload
)sql"};

constexpr statement delete_statement{"progressd_delete_webhooks", R"sql(
DELETE FROM webhooks WHERE webhook_id = ANY($1::text[])
)sql"};

constexpr statement load_statement{"progressd_load_webhooks", R"sql(
SELECT webhook_id, payload FROM webhooks ORDER BY webhook_id COLLATE "C"
)sql"};

}  // namespace

pg_outcome<std::size_t> upsert_webhooks(transaction& txn, std::span<const webhook> webhooks) {
    const auto kept = row_batching::last_of_each_key(webhooks.size(), [&](std::size_t i) { return std::tie(webhooks[i].id); });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder id{bin::text_oid}, target{bin::text_oid}, active{bin::bool_oid}, created_at{bin::int8_oid},
            payload{bin::bytea_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const webhook& hook = webhooks[kept[i]];
            id.add_bytes(hook.id);
            target.add_bytes(hook.target_url);
            active.add_bool(hook.active);
            created_at.add_int(hook.created_at);
            payload.add_bytes(encode_webhook(hook));
        }
        auto written = row_batching::run_arrays(txn, upsert_statement, {&id, &target, &active, &created_at, &payload});
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_webhooks(transaction& txn, std::span<const std::string_view> ids) {
    return row_batching::delete_by_text_keys(txn, delete_statement, ids);
}

pg_outcome<std::vector<webhook>> load_webhooks(connection& conn) {
    return row_batching::load_payload_rows<webhook>(conn, load_statement, "webhooks", decode_webhook);
}

}  // namespace progressd::store
