#pragma once
// Everything of one user that lives in its owner's memory (progress records, enrolments,
// assessment states) read in one statement, one round trip: what a cluster node loads when a
// user's first request reaches it (app/resident_users.hpp).
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/record_rows.hpp"

#include <string_view>
#include <vector>

namespace progressd::store {

struct loaded_user_state {
    std::vector<loaded_record> records{};          // ordered by (context_id, content_id) bytewise
    std::vector<loaded_enrolment> enrolments{};    // ordered by (collection_id, context_id) bytewise
    std::vector<loaded_assessment> assessments{};  // ordered by (context_id, content_id) bytewise

    bool empty() const { return records.empty() && enrolments.empty() && assessments.empty(); }
};

// The user's state as one statement sees it (one snapshot: a commit lands wholly before or after
// it), in the orders load_user, load_user_enrolments and load_user_assessments give. A row that
// does not decode fails the whole load (pg_errc::malformed_row, naming its table and key): a
// user served with a row silently missing would have it replaced by the next write.
pg_outcome<loaded_user_state> load_user_state(connection& conn, std::string_view user_id);

}  // namespace progressd::store
