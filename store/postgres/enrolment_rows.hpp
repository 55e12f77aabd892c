#pragma once
// Enrolments as rows of the `enrolments` table (docs/cluster.md, "Schema"). Every field of an
// enrolment has a real column, so the row is the whole enrolment and there is no payload: an
// enrolment read back is the one written, field for field. "Never expires" (expires_at 0) is
// NULL, so a report's IS NULL means what it says.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/enrolments.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// One enrolment to write; views into the caller's data, which must outlive the call.
struct enrolment_row {
    std::string_view user_id;
    const enrolment_key& key;
    const enrolment& value;
};

// The key of one enrolment to remove; views into the caller's data.
struct user_enrolment_key {
    std::string_view user_id;
    std::string_view collection_id;
    std::string_view context_id;
};

struct loaded_enrolment {
    enrolment_key key;
    enrolment value;
};

// Inserts or replaces each enrolment inside the caller's transaction, up to
// max_rows_per_statement rows per statement; of rows with the same key, the last is written.
// Returns the rows written.
pg_outcome<std::size_t> upsert_enrolments(transaction& txn, std::span<const enrolment_row> rows);

// Removes these enrolments (absent ones are no error). Returns the rows removed.
pg_outcome<std::size_t> delete_enrolments(transaction& txn, std::span<const user_enrolment_key> keys);

// Every enrolment of the user, ordered by (collection_id, context_id) bytewise, the order
// enrolment_store::list_user gives. A row that does not decode fails the load
// (pg_errc::malformed_row, naming the key).
pg_outcome<std::vector<loaded_enrolment>> load_user_enrolments(connection& conn, std::string_view user_id);

}  // namespace progressd::store
