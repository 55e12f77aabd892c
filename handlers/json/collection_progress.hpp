#pragma once
// A user's progress in a collection, as the native API shows it (docs/native-api.md,
// "Collections"): the catalog snapshot and the user's records in one context, aggregated by
// store/user_collection.hpp, then written as JSON text. Shared by the collection read and the reset, which
// answers the parent's aggregate.

#include <optional>
#include <string>
#include <string_view>

namespace progressd {

struct services;
struct thread_context;

// The aggregate of the parent collection of `content_id` (store::catalog_snapshot::parent_of), or
// nullopt when it has none: what a reset answers.
std::optional<std::string> reset_parent_progress(services& context, thread_context& thread,
                                                 std::string_view user_id, std::string_view context_id,
                                                 std::string_view content_id);

// The JSON text of GET /v1/collections/{id}/progress; nullopt when the catalog knows no
// collection `collection_id`.
std::optional<std::string> collection_progress_json(services& context, thread_context& thread,
                                                    std::string_view user_id, std::string_view context_id,
                                                    std::string_view collection_id);

}  // namespace progressd
