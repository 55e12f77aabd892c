#include "handlers/collection_progress.hpp"

#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"

#include <boost/json/array.hpp>

#include <unordered_map>

namespace progressd {
namespace {

boost::json::value time_or_null(std::int64_t ms) { return ms ? boost::json::value(ms) : boost::json::value(nullptr); }

boost::json::value text_or_null(bool present, const std::string& text) {
    return present ? boost::json::value(text) : boost::json::value(nullptr);
}

}  // namespace

boost::json::object node_progress_to_json(const store::node_progress& node) {
    boost::json::object json{
        {"content_id", node.content_id},
        {"type", text_or_null(node.in_catalog, node.type)},
        {"title", text_or_null(node.in_catalog, node.title)},
        {"optional", node.optional},
        {"collection", node.collection},
        {"status", static_cast<int>(node.status)},
        {"completed", node.status == store::progress_status::completed},
        {"progress_percent", node.progress_percent},
        {"duration_seconds", nullptr},
        {"time_spent_seconds", node.time_spent_seconds},
        {"last_accessed_at", time_or_null(node.last_accessed_at)},
        {"completed_at", time_or_null(node.completed_at)},
    };
    if (node.duration_seconds) json["duration_seconds"] = *node.duration_seconds;
    if (!node.collection) {
        json["position_seconds"] = node.has_record ? boost::json::value(node.position_seconds) : nullptr;
        json["watched_percent"] = node.watched_percent;
        return json;
    }
    json["counts"] = boost::json::object{
        {"total", node.counts.total},           {"completed", node.counts.completed},
        {"in_progress", node.counts.in_progress}, {"not_started", node.counts.not_started},
        {"optional", node.counts.optional},
    };
    json["weighting"] = node.weights == store::weighting::duration ? "duration" : "count";
    json["current_child_id"] = text_or_null(!node.current_child_id.empty(), node.current_child_id);
    json["current_content_id"] = text_or_null(!node.current_content_id.empty(), node.current_content_id);
    boost::json::array children;
    children.reserve(node.children.size());
    for (const auto& child : node.children) children.push_back(node_progress_to_json(child));
    json["children"] = std::move(children);
    return json;
}

user_collection aggregate_user_collection(services& context, const store::catalog_snapshot& catalog,
                                          std::string_view user_id, std::string_view context_id,
                                          std::string_view collection_id) {
    const auto ids = store::collection_contents(catalog, collection_id);
    auto found = context.store.find_many(user_id, context_id, ids);
    user_collection result;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (found[i]) result.records.emplace(ids[i], std::move(*found[i]));
    }
    result.node = store::aggregate_collection(catalog, collection_id, [&](std::string_view id) {
        auto record = result.records.find(std::string(id));
        return record == result.records.end() ? nullptr : &record->second;
    });
    return result;
}

std::optional<boost::json::object> collection_progress_json(services& context, thread_context& thread,
                                                            std::string_view user_id, std::string_view context_id,
                                                            std::string_view collection_id) {
    // Holding the snapshot keeps every view into it valid while the records are read.
    const auto snapshot = thread.catalog.shared(context.catalog);
    if (!store::is_known_collection(*snapshot, collection_id)) return std::nullopt;

    const auto progress = aggregate_user_collection(context, *snapshot, user_id, context_id, collection_id).node;

    auto node = node_progress_to_json(progress);
    boost::json::object json{{"user_id", user_id}, {"context_id", context_id}, {"collection_id", collection_id}};
    for (auto& [key, value] : node) {
        if (key != "content_id" && key != "optional" && key != "collection") json[key] = std::move(value);
    }
    return json;
}

std::optional<boost::json::object> reset_parent_progress(services& context, thread_context& thread,
                                                         std::string_view user_id, std::string_view context_id,
                                                         std::string_view content_id) {
    const auto snapshot = thread.catalog.shared(context.catalog);
    const auto parent = snapshot->parent_of(content_id);
    if (!parent) return std::nullopt;
    return collection_progress_json(context, thread, user_id, context_id, std::string(*parent));
}

}  // namespace progressd
