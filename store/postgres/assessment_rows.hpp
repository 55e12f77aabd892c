#pragma once
// Assessment states as rows of the `assessments` table (docs/cluster.md, "Schema"): the counters
// and the kept attempts in `payload` (store/codec/assessment_codec.hpp, the bytes the LMDB store
// keeps), and beside them the quiz figures a report reads (attempt count, best score, passed),
// computed from the same state. progressd reads only the payload back.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/assessments.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/record_deletes.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// One state to write; views into the caller's data, which must outlive the call.
struct assessment_row {
    std::string_view user_id;
    const record_key& key;
    const assessment_state& state;
};

struct loaded_assessment {
    record_key key;
    assessment_state state;
};

// Inserts or replaces each state inside the caller's transaction, up to max_rows_per_statement
// rows per statement; of rows with the same key, the last is written. Returns the rows written.
pg_outcome<std::size_t> upsert_assessments(transaction& txn, std::span<const assessment_row> rows);

// Removes these states (absent ones are no error). Returns the rows removed.
pg_outcome<std::size_t> delete_assessments(transaction& txn, std::span<const user_record_key> keys);

// Every state of the user, ordered by (context_id, content_id) bytewise, the order
// assessment_store::list_user gives. A row that does not decode fails the load
// (pg_errc::malformed_row, naming the key).
pg_outcome<std::vector<loaded_assessment>> load_user_assessments(connection& conn, std::string_view user_id);

}  // namespace progressd::store
