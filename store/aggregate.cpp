#include "store/aggregate.hpp"

#include <boost/unordered/unordered_flat_set.hpp>

#include <algorithm>
#include <functional>

namespace progressd::store {
namespace {

constexpr double incomplete_percent_cap = 99;

class aggregator {
public:
    aggregator(const catalog_snapshot& catalog, const record_lookup& records) : catalog_(catalog), records_(records) {}

    node_progress node(std::string_view id, bool top) {
        node_progress result;
        result.content_id = std::string(id);
        if (const content_entry* entry = catalog_.find(id)) {
            result.in_catalog = true;
            result.type = entry->type;
            result.title = entry->title;
            result.optional = entry->optional;
            // A catalog duration of 0 is no duration: the record's reported one weighs instead
            // (docs/data-model.md, "Collections").
            if (entry->duration_seconds && *entry->duration_seconds > 0) result.duration_seconds = entry->duration_seconds;
        }
        const bool on_path = std::find(path_.begin(), path_.end(), id) != path_.end();
        const bool expand = top || (catalog_.has_children(id) && !on_path && path_.size() < max_aggregate_depth);
        if (expand) {
            path_.push_back(id);
            collection(result);
            path_.pop_back();
        } else {
            leaf(result);
        }
        return result;
    }

private:
    void leaf(node_progress& result) {
        const progress_record* record = records_(result.content_id);
        if (!record) return;
        result.has_record = true;
        result.status = record->status;
        result.progress_percent = record->status == progress_status::completed ? 100 : record->progress_percent;
        if (!result.duration_seconds && record->duration_seconds > 0) result.duration_seconds = record->duration_seconds;
        result.time_spent_seconds = record->time_spent_seconds;
        result.last_accessed_at = record->last_accessed_at;
        result.completed_at = record->status == progress_status::completed ? record->completed_at : 0;
        result.position_seconds = record->position_seconds;
        result.watched_percent = watched_percent(record->watched);
    }

    void collection(node_progress& result) {
        result.collection = true;
        for (auto child : catalog_.children_of(result.content_id)) result.children.push_back(node(child, false));

        bool started = false;
        double known_duration = 0;
        std::size_t known = 0;
        std::int64_t last_completion = 0;
        auto& counts = result.counts;
        for (const auto& child : result.children) {
            result.time_spent_seconds += child.time_spent_seconds;
            result.last_accessed_at = std::max(result.last_accessed_at, child.last_accessed_at);
            started = started || child.status != progress_status::not_started;
            if (child.optional) {
                ++counts.optional;
                continue;
            }
            ++counts.total;
            switch (child.status) {
                case progress_status::completed: ++counts.completed; break;
                case progress_status::in_progress: ++counts.in_progress; break;
                case progress_status::not_started: ++counts.not_started; break;
            }
            if (child.status == progress_status::completed) last_completion = std::max(last_completion, child.completed_at);
            if (child.duration_seconds && *child.duration_seconds > 0) {
                known_duration += *child.duration_seconds;
                ++known;
            }
        }

        // Unknown durations weigh the mean of the known ones (all 1 when none is known).
        const double fallback = known ? known_duration / static_cast<double>(known) : 1.0;
        result.weights = known ? weighting::duration : weighting::count;
        double weighted = 0;
        double total_weight = 0;
        for (const auto& child : result.children) {
            if (child.optional) continue;
            const double weight = child.duration_seconds && *child.duration_seconds > 0 ? *child.duration_seconds : fallback;
            weighted += weight * child.progress_percent;
            total_weight += weight;
        }
        if (!result.duration_seconds && counts.total > 0 && known == counts.total) result.duration_seconds = known_duration;

        if (counts.total > 0 && counts.completed == counts.total) {
            result.status = progress_status::completed;
            result.progress_percent = 100;
            result.completed_at = last_completion;
        } else {
            result.status = started ? progress_status::in_progress : progress_status::not_started;
            // 100 % only with every required child completed, so the percent never contradicts the
            // counts: a child at 100 % that is not completed (coverage policy, a seek to the end)
            // leaves the collection at 99 % (docs/data-model.md, "Collections").
            result.progress_percent = total_weight > 0 ? std::min(incomplete_percent_cap, weighted / total_weight) : 0;
        }

        const node_progress* current = nullptr;
        for (const auto& child : result.children) {
            if (child.optional) continue;
            current = &child;
            if (child.status != progress_status::completed) break;
        }
        if (current) {
            result.current_child_id = current->content_id;
            result.current_content_id = current->collection && !current->current_content_id.empty()
                                            ? current->current_content_id
                                            : current->content_id;
        }
    }

    const catalog_snapshot& catalog_;
    const record_lookup& records_;
    std::vector<std::string_view> path_;
};

}  // namespace

bool is_known_collection(const catalog_snapshot& catalog, std::string_view id) {
    return catalog.find(id) != nullptr || catalog.has_children(id);
}

std::vector<std::string> collection_contents(const catalog_snapshot& catalog, std::string_view collection_id) {
    std::vector<std::string> contents;
    // Open addressing: no node allocated per content, as std::unordered_set would.
    boost::unordered_flat_set<std::string_view, std::hash<std::string_view>> seen{collection_id};
    std::vector<std::pair<std::string_view, std::size_t>> pending{{collection_id, 0}};
    while (!pending.empty()) {
        const auto [id, depth] = pending.back();
        pending.pop_back();
        if (depth >= max_aggregate_depth) continue;
        for (auto child : catalog.children_of(id)) {
            if (!seen.insert(child).second) continue;
            contents.emplace_back(child);
            pending.emplace_back(child, depth + 1);
        }
    }
    return contents;
}

node_progress aggregate_collection(const catalog_snapshot& catalog, std::string_view collection_id,
                                   const record_lookup& records) {
    return aggregator(catalog, records).node(collection_id, true);
}

namespace {

void append_leaves(const node_progress& node, bool required_only, std::vector<const node_progress*>& leaves) {
    for (const auto& child : node.children) {
        if (required_only && child.optional) continue;
        if (child.collection) {
            append_leaves(child, required_only, leaves);
        } else {
            leaves.push_back(&child);
        }
    }
}

}  // namespace

std::vector<const node_progress*> collection_leaves(const node_progress& collection, bool required_only) {
    std::vector<const node_progress*> leaves;
    append_leaves(collection, required_only, leaves);
    return leaves;
}

}  // namespace progressd::store
