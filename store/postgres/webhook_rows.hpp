#pragma once
// Registered webhooks as rows of the `webhooks` table (docs/cluster.md, "Schema"): the whole
// webhook, its signing secret included, in `payload` (store/codec/event_codec.hpp, the bytes the
// LMDB store keeps), and beside it its target, state and creation time for an operator's query.
// progressd reads only the payload back.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"
#include "store/webhooks.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// Inserts or replaces each webhook inside the caller's transaction; of webhooks with the same id,
// the last is written. Returns the rows written.
pg_outcome<std::size_t> upsert_webhooks(transaction& txn, std::span<const webhook> webhooks);

// Removes the webhooks with these ids (absent ones are no error). Returns the rows removed.
pg_outcome<std::size_t> delete_webhooks(transaction& txn, std::span<const std::string_view> ids);

// Every webhook, ordered by id bytewise. A row that does not decode fails the load
// (pg_errc::malformed_row, naming the id).
pg_outcome<std::vector<webhook>> load_webhooks(connection& conn);

}  // namespace progressd::store
