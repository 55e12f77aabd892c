#pragma once
// Collection progress (docs/data-model.md): derived on every read from the catalog and the
// user's records, never stored. A pure function: no locks, no clock, no I/O.
//
// For a collection, over its required (non-optional) children:
// - progress_percent is the duration-weighted mean of the children's percent. A child's weight
//   is its duration (the catalog's, else the one its record last reported; for a nested
//   collection, the catalog's, else the sum of its required children's). Children of unknown
//   duration weigh the mean of the known ones, so with no duration known at all the mean is
//   count-weighted, and a course whose durations become known one by one moves smoothly.
// - completed when it has required children and every one is completed; then percent is 100,
//   and only then: a collection not completed reads at most 99 %.
// - in progress when any child (optional ones too) has been started; else not started.
// - current child: the first required child in catalog order that is not completed; the last
//   required child when all are. current content: the same, followed down nested collections.
// - time spent and last access cover every child, optional ones too.
// Nested collections (course → unit → lesson) aggregate recursively. A child that is already on
// the path from the top (a cycle in the catalog) or deeper than max_depth counts as a leaf.

#include "store/catalog.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

inline constexpr std::size_t max_aggregate_depth = 16;

struct child_counts {
    std::size_t total = 0;  // required children
    std::size_t completed = 0;
    std::size_t in_progress = 0;
    std::size_t not_started = 0;
    std::size_t optional = 0;  // optional children, not in the counts above
};

enum class weighting : std::uint8_t { count, duration };

struct node_progress {
    std::string content_id;
    std::string type;   // from the catalog; empty when the content has no entry
    std::string title;
    bool in_catalog = false;
    bool optional = false;
    bool collection = false;
    progress_status status = progress_status::not_started;
    double progress_percent = 0;
    std::optional<double> duration_seconds;  // the weight, when known
    double time_spent_seconds = 0;
    std::int64_t last_accessed_at = 0;  // 0: never
    std::int64_t completed_at = 0;      // 0: not completed
    // Leaves only.
    bool has_record = false;
    double position_seconds = 0;
    double watched_percent = 0;
    // Collections only.
    child_counts counts;
    weighting weights = weighting::count;
    std::string current_child_id;    // empty: no required child
    std::string current_content_id;  // the current leaf, following nested collections
    std::vector<node_progress> children;
};

// The user's record for a content in the context being aggregated, or null.
using record_lookup = std::function<const progress_record*(std::string_view content_id)>;

// Whether `id` is a collection the catalog knows (it has an entry or children).
bool is_known_collection(const catalog_snapshot& catalog, std::string_view id);

// Every content under the collection, at any depth, without duplicates: the records to fetch.
std::vector<std::string> collection_contents(const catalog_snapshot& catalog, std::string_view collection_id);

// The collection's progress. The collection itself is aggregated even when it has no children
// (an empty collection: 0 %, not started, no current child).
node_progress aggregate_collection(const catalog_snapshot& catalog, std::string_view collection_id,
                                   const record_lookup& records);

// The leaves (lessons) of an aggregate in catalog order, depth first; `required_only` skips
// optional leaves and optional sub-collections. Views into `collection`.
std::vector<const node_progress*> collection_leaves(const node_progress& collection, bool required_only);

}  // namespace progressd::store
