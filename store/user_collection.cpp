#include "store/user_collection.hpp"

#include <algorithm>
#include <numeric>

namespace progressd::store {

user_collection::user_collection(std::vector<std::string> ids, std::vector<std::optional<progress_record>> records)
    : ids_(std::move(ids)), records_(std::move(records)), by_id_(ids_.size()) {
    records_.resize(ids_.size());  // aligned, whatever the caller passed
    std::iota(by_id_.begin(), by_id_.end(), std::uint32_t{0});
    std::sort(by_id_.begin(), by_id_.end(), [this](std::uint32_t a, std::uint32_t b) { return ids_[a] < ids_[b]; });
}

const progress_record* user_collection::record(std::string_view content_id) const {
    const auto at = std::lower_bound(by_id_.begin(), by_id_.end(), content_id,
                                     [this](std::uint32_t index, std::string_view id) { return ids_[index] < id; });
    if (at == by_id_.end() || ids_[*at] != content_id || !records_[*at]) return nullptr;
    return &*records_[*at];
}

user_collection aggregate_user_collection(const progress_store& records, const catalog_snapshot& catalog,
                                          std::string_view user_id, std::string_view context_id,
                                          std::string_view collection_id) {
    auto ids = collection_contents(catalog, collection_id);
    auto found = records.find_many(user_id, context_id, ids);
    user_collection result(std::move(ids), std::move(found));
    result.node =
        aggregate_collection(catalog, collection_id, [&result](std::string_view id) { return result.record(id); });
    return result;
}

}  // namespace progressd::store
