#pragma once
// A user's progress in a collection, as the native API shows it (docs/native-api.md,
// "Collections"): the catalog snapshot and the user's records in one context, aggregated by
// store/aggregate, then written as JSON text. Shared by the collection read and the reset, which
// answers the parent's aggregate.

#include "store/aggregate.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

struct services;
struct thread_context;

// A user's records under a collection (one context, read under one lock) and their aggregate.
class user_collection {
public:
    // `records` aligned with `ids` (store::progress_store::find_many).
    user_collection(std::vector<std::string> ids, std::vector<std::optional<store::progress_record>> records);

    // The user's record of `content_id`, or null when it has none or is not under the collection.
    const store::progress_record* record(std::string_view content_id) const;

    store::node_progress node;

private:
    std::vector<std::string> ids_;  // every content under the collection
    std::vector<std::optional<store::progress_record>> records_;
    // Indexes into ids_ in id order, for record(): a sort and a binary search cost less than a
    // hash map of copied keys and moved records, an allocation per record.
    std::vector<std::uint32_t> by_id_;
};
user_collection aggregate_user_collection(services& context, const store::catalog_snapshot& catalog,
                                          std::string_view user_id, std::string_view context_id,
                                          std::string_view collection_id);

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
