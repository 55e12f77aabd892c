#pragma once
// Catalog entries as rows of the `catalog` table (docs/cluster.md, "Schema"): the whole entry in
// `payload` (store/codec/catalog_codec.hpp, the bytes the LMDB store keeps), and beside it the
// columns a report filters on (type, parent, learned, updated_at), written from the same entry.
// progressd reads only the payload back.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/catalog.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// Inserts or replaces each entry, inside the caller's transaction, up to max_rows_per_statement
// rows per statement; of entries with the same id, the last is written. Returns the rows written.
pg_outcome<std::size_t> upsert_catalog(transaction& txn, std::span<const content_entry> entries);

// Removes the entries with these ids (absent ones are no error). Returns the rows removed.
pg_outcome<std::size_t> delete_catalog(transaction& txn, std::span<const std::string_view> ids);

// The whole catalog, ordered by id bytewise. A row that does not decode fails the load
// (pg_errc::malformed_row, naming the id): a node serving a catalog with an entry silently
// missing would let its next write replace it.
pg_outcome<std::vector<content_entry>> load_catalog(connection& conn);

}  // namespace progressd::store
