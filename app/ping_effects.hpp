#pragma once
// What a ping changes besides its own record (docs/data-model.md, "Catalog" and "Enrolments"):
// - the catalog learns the collection it names ("a collection seen in traffic … is learned");
// - the first progress inside a context enrols the user in the collection (implicit enrolment).
//   The collection is the ping's collection_id, else the content's top-level ancestor in the
//   catalog; with neither, or outside any context, nobody is enrolled.
//
// Called by app/record_ping.cpp after progress_store::apply_ping, with the calling thread's catalog
// snapshot: in the common case (nothing new) it costs a few hash lookups and takes no lock
// beyond the enrolment shard's, and that one only on a user's first ping on a record.

#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/merge.hpp"
#include "store/ping.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace progressd::app {

// Each returns the generation of the changes it made, 0 when it made none.
std::uint64_t learn_from_ping(store::catalog& contents, const store::catalog_snapshot& seen,
                              const store::ping& observation, std::int64_t now_ms);
std::uint64_t enrol_from_ping(store::enrolment_store& enrolments, const store::catalog_snapshot& seen,
                              std::string_view user_id, const store::ping& observation,
                              const store::merge_outcome& outcome, std::int64_t now_ms);

// The collection an implicit enrolment goes to (see above); nullopt when there is none.
std::optional<std::string_view> enrolment_collection(const store::catalog_snapshot& seen,
                                                     const store::ping& observation);

}  // namespace progressd::app
