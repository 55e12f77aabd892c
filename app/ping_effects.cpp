#include "app/ping_effects.hpp"

#include "store/aggregate.hpp"

namespace progressd::app {

std::uint64_t learn_from_ping(store::catalog& contents, const store::catalog_snapshot& seen,
                              const store::ping& observation, std::int64_t now_ms) {
    const std::string_view collection = observation.collection_id;
    if (collection.empty() || collection == observation.content_id) return 0;
    // Decide from the thread's snapshot first; catalog::learn re-checks under its lock.
    if (const store::content_entry* entry = seen.find(collection)) {
        if (!entry->learned || entry->children.size() >= store::max_learned_children) return 0;
        if (seen.lists(collection, observation.content_id)) return 0;
    }
    return contents.learn(collection, observation.content_id, now_ms).value_or(0);
}

std::optional<std::string_view> enrolment_collection(const store::catalog_snapshot& seen,
                                                     const store::ping& observation) {
    if (!observation.collection_id.empty()) return std::string_view(observation.collection_id);
    std::optional<std::string_view> top;
    std::string_view current = observation.content_id;
    // Up the parents to the top; a cycle ends at the depth limit.
    for (std::size_t depth = 0; depth < store::max_aggregate_depth; ++depth) {
        const auto parent = seen.parent_of(current);
        if (!parent || *parent == observation.content_id) break;
        top = parent;
        current = *parent;
    }
    return top;
}

std::uint64_t enrol_from_ping(store::enrolment_store& enrolments, const store::catalog_snapshot& seen,
                              std::string_view user_id, const store::ping& observation,
                              const store::merge_outcome& outcome, std::int64_t now_ms) {
    if (!outcome.first_access || observation.context_id.empty()) return 0;
    const auto collection = enrolment_collection(seen, observation);
    if (!collection) return 0;
    return enrolments.ensure(user_id, *collection, observation.context_id, now_ms).value_or(0);
}

}  // namespace progressd::app
