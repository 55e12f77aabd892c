#pragma once
// Progress records as rows of the `records` table (docs/cluster.md, "Schema"): every field a
// report needs in a real column, the rare and binary parts in `extra` (record_extra.hpp), and the
// user's partition (store/partition.hpp) beside the key. A record read back is the record
// written, field for field and bit for bit: numbers travel in PostgreSQL's binary format, never
// as decimal text.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"
#include "store/record.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// One record to write; views into the caller's data, which must outlive the call.
struct record_row {
    std::string_view user_id;
    const record_key& key;
    const progress_record& record;
};

struct loaded_record {
    record_key key;
    progress_record record;
};

// Rows per INSERT statement: each statement is one round trip carrying its rows as arrays.
inline constexpr std::size_t max_rows_per_statement = 1000;

// Inserts or replaces each record, in statements of up to max_rows_per_statement rows, inside the
// caller's transaction (so a batch commits whole or not at all, and can be fenced). When a key
// appears more than once, the last one is written, as a later change supersedes an earlier one.
// Returns the number of rows written.
pg_outcome<std::size_t> upsert_records(transaction& txn, std::span<const record_row> rows);

// Every record of the user, ordered by (context_id, content_id) bytewise. A row that does not
// decode fails the whole load (pg_errc::malformed_row, naming the key): serving a user with a
// record silently missing would let the next write replace it.
pg_outcome<std::vector<loaded_record>> load_user(connection& conn, std::string_view user_id);

}  // namespace progressd::store
