#pragma once
// Pending webhook deliveries as rows of the `outbox` table (docs/cluster.md, "Schema"): the
// delivery with its event in `payload` (store/codec/event_codec.hpp, the bytes the LMDB store
// keeps), keyed by event_outbox::key_of, and beside it the webhook, the event, the attempts so far
// and when the next is due, for the sender's and an operator's queries. progressd reads only the
// key and the payload back.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/outbox.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

// One delivery to write; views into the caller's data, which must outlive the call.
struct delivery_row {
    std::string_view key;  // event_outbox::key_of(event, webhook id)
    const delivery& value;
};

struct loaded_delivery {
    std::string key;
    delivery value;
};

// Inserts or replaces each delivery inside the caller's transaction, up to
// max_rows_per_statement rows per statement; of rows with the same key, the last is written.
// Returns the rows written.
pg_outcome<std::size_t> upsert_deliveries(transaction& txn, std::span<const delivery_row> rows);

// Removes the deliveries with these keys (absent ones are no error). Returns the rows removed.
pg_outcome<std::size_t> delete_deliveries(transaction& txn, std::span<const std::string_view> keys);

// The whole outbox in the order it is due: by next_attempt_at, then by key bytewise (the order
// event_outbox::take_due hands deliveries out). A row that does not decode fails the load
// (pg_errc::malformed_row, naming the key): a delivery silently dropped would never be sent.
pg_outcome<std::vector<loaded_delivery>> load_outbox(connection& conn);

}  // namespace progressd::store
