#include "store/postgres/outbox_rows.hpp"

#include "store/codec/event_codec.hpp"
#include "store/partition.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <tuple>

namespace progressd::store {
namespace {

namespace bin = pg_binary;

constexpr statement upsert_statement{"progressd_upsert_deliveries", R"sql(
INSERT INTO outbox (delivery_key, partition, webhook_id, event_id, attempts, next_attempt_at, payload)
SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::int4[], $6::int8[], $7::bytea[])
ON CONFLICT (delivery_key) DO UPDATE SET
    partition = EXCLUDED.partition, webhook_id = EXCLUDED.webhook_id, event_id = EXCLUDED.event_id,
    attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at, payload = EXCLUDED.payload
)sql"};

constexpr statement delete_statement{"progressd_delete_deliveries", R"sql(
DELETE FROM outbox WHERE delivery_key = ANY($1::text[])
)sql"};

constexpr statement load_statement{"progressd_load_outbox", R"sql(
SELECT delivery_key, payload FROM outbox ORDER BY next_attempt_at, delivery_key COLLATE "C"
)sql"};

}  // namespace

pg_outcome<std::size_t> upsert_deliveries(transaction& txn, std::span<const delivery_row> rows) {
    const auto kept = row_batching::last_of_each_key(rows.size(), [&](std::size_t i) { return std::tie(rows[i].key); });
    return row_batching::in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        bin::array_builder key{bin::text_oid}, partition{bin::int4_oid}, webhook_id{bin::text_oid},
            event_id{bin::text_oid}, attempts{bin::int4_oid}, next_attempt_at{bin::int8_oid}, payload{bin::bytea_oid};
        for (std::size_t i = begin; i < end; ++i) {
            const delivery_row& row = rows[kept[i]];
            key.add_bytes(row.key);
            partition.add_int(static_cast<std::int32_t>(partition_of(row.value.event.user_id)));
            webhook_id.add_bytes(row.value.webhook_id);
            event_id.add_bytes(row.value.event.id);
            // A report's figure only (the payload holds the exact count): a count past int4 reads as its maximum.
            constexpr auto int4_max = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
            attempts.add_int(static_cast<std::int32_t>(std::min(row.value.attempts, int4_max)));
            next_attempt_at.add_int(row.value.next_attempt_at);
            payload.add_bytes(encode_delivery(row.value));
        }
        auto written = row_batching::run_arrays(
            txn, upsert_statement, {&key, &partition, &webhook_id, &event_id, &attempts, &next_attempt_at, &payload});
        if (!written) return written.error();
        return end - begin;
    });
}

pg_outcome<std::size_t> delete_deliveries(transaction& txn, std::span<const std::string_view> keys) {
    return row_batching::delete_by_text_keys(txn, delete_statement, keys);
}

pg_outcome<std::vector<loaded_delivery>> load_outbox(connection& conn) {
    return row_batching::load_payload_rows<loaded_delivery>(
        conn, load_statement, "outbox",
        [](std::string_view key, std::string_view payload) -> std::optional<loaded_delivery> {
            auto value = decode_delivery(payload);
            if (!value) return std::nullopt;
            return loaded_delivery{std::string(key), std::move(*value)};
        });
}

}  // namespace progressd::store
