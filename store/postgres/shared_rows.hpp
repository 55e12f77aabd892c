#pragma once
// The rows a shared-state notice names, read back by id (shared_state_listener.hpp): the catalog
// entries and the webhooks that exist among the ids asked for. An id asked for and not returned
// has no row: it was deleted.
//
// Blocking calls on the caller's connection (connection.hpp says which threads may make them).

#include "store/catalog.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/webhooks.hpp"

#include <span>
#include <string>
#include <vector>

namespace progressd::store {

// A row that does not decode fails the load, naming its id, as load_catalog and load_webhooks do.
pg_outcome<std::vector<content_entry>> load_catalog_entries(connection& conn, std::span<const std::string> ids);
pg_outcome<std::vector<webhook>> load_webhooks_by_id(connection& conn, std::span<const std::string> ids);

}  // namespace progressd::store
