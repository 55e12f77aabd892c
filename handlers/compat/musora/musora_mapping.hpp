#pragma once
// The Musora reset answer (docs/compat-musora.md): a content of the catalog in the
// document's shape — its catalog attributes echoed, then the user's progress (started,
// completed, progress_percent), and for a collection its lessons and current_lesson. Pure
// functions of the catalog snapshot and the aggregate: no HTTP, no locks.

#include "store/aggregate.hpp"
#include "store/catalog.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace progressd::musora {

// Musora's ids are integers: an id of decimal digits (no leading zero, fits in 64 bits) renders
// as a JSON number; any other id stays a string.
boost::json::value id_value(std::string_view id);

// A lesson as listed in `lessons` and `current_lesson`: length_in_seconds is a string, as in the
// document.
boost::json::object lesson_to_json(const store::catalog_snapshot& catalog, const store::node_progress& lesson);

// The parent collection after a reset: its attributes, progress, current_lesson and lessons.
boost::json::object parent_to_json(const store::catalog_snapshot& catalog, const store::node_progress& parent);

}  // namespace progressd::musora
