#pragma once
// A user's progress in one collection: the records of every content under it (one context, read
// under one lock) and their aggregate (store/aggregate.hpp). What the collection reads of every
// API family and the course-completion check of the events are computed from.

#include "store/aggregate.hpp"
#include "store/catalog.hpp"
#include "store/progress_store.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

class user_collection {
public:
    // `records` aligned with `ids` (progress_store::find_many).
    user_collection(std::vector<std::string> ids, std::vector<std::optional<progress_record>> records);

    // The user's record of `content_id`, or null when it has none or is not under the collection.
    const progress_record* record(std::string_view content_id) const;

    node_progress node;

private:
    std::vector<std::string> ids_;  // every content under the collection
    std::vector<std::optional<progress_record>> records_;
    // Indexes into ids_ in id order, for record(): a sort and a binary search cost less than a
    // hash map of copied keys and moved records, an allocation per record.
    std::vector<std::uint32_t> by_id_;
};

user_collection aggregate_user_collection(const progress_store& records, const catalog_snapshot& catalog,
                                          std::string_view user_id, std::string_view context_id,
                                          std::string_view collection_id);

}  // namespace progressd::store
