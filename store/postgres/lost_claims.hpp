#pragma once
// Which of a node's claims the `partitions` table no longer backs: the partitions taken over by
// another node, released, or acquired again at a newer epoch. fenced_commit only says that some
// claim failed; the persister asks this afterwards, outside the refused transaction, to split
// exactly those partitions' changes off its batch and commit the rest.
//
// Blocking, on the caller's connection (connection.hpp); no transaction of the caller's open.

#include "store/postgres/connection.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/pg_error.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace progressd::store {

// The claims whose partition is no longer owned by `owner` at the claimed epoch, in partition order.
pg_outcome<std::vector<partition_claim>> lost_claims(connection& conn, std::string_view owner,
                                                     std::span<const partition_claim> claims);

}  // namespace progressd::store
