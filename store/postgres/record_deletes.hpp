#pragma once
// Removing records from the `records` table: the records a reset or an erasure removed (the
// tombstones the store hands the persister), and a user's whole erasure in one statement.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <span>
#include <string_view>

namespace progressd::store {

// The key of one user's record (or assessment state); views into the caller's data.
struct user_record_key {
    std::string_view user_id;
    std::string_view context_id;
    std::string_view content_id;
};

// Removes these records inside the caller's transaction, up to max_rows_per_statement keys per
// statement; absent ones are no error (a record created and removed between two batches never
// reached the table). Returns the rows removed.
pg_outcome<std::size_t> delete_records(transaction& txn, std::span<const user_record_key> keys);

// What delete_user removed.
struct erased_rows {
    std::size_t records = 0;
    std::size_t enrolments = 0;
    std::size_t assessments = 0;
};

// Erases everything kept per user (DELETE /v1/users/{user_id}: records, enrolments, assessment
// states) in one statement, inside the caller's transaction. Deliveries of the user's events
// already in the outbox stay, as with LMDB: they went out before the erasure.
pg_outcome<erased_rows> delete_user(transaction& txn, std::string_view user_id);

}  // namespace progressd::store
