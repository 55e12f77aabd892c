#include "handlers/json/collection_progress.hpp"

#include "handlers/json/json_text.hpp"
#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"
#include "store/user_collection.hpp"

#include <algorithm>
#include <cstdint>

namespace progressd {
namespace {

// About what a lesson among a collection's children takes as text: room to reserve.
constexpr std::size_t typical_child_json_bytes = 320;

void append_count(std::string& out, std::string_view member, std::size_t count) {
    out.append(member);
    append_json_integer(out, static_cast<std::int64_t>(count));
}

// A node's members, without the braces. `identity` adds what names the node among its siblings
// (content_id, optional, collection); the collection answered at the top has its own ids instead.
// Written as text directly: a course of 50 lessons was 1.6 M instructions as a DOM, most of them
// allocating and freeing its members.
void append_node_members(std::string& out, const store::node_progress& node, bool identity) {
    if (identity) {
        out.append("\"content_id\":");
        append_json_string(out, node.content_id);
        out.push_back(',');
    }
    out.append("\"type\":");
    append_json_string_or_null(out, node.in_catalog, node.type);
    out.append(",\"title\":");
    append_json_string_or_null(out, node.in_catalog, node.title);
    if (identity) {
        out.append(node.optional ? ",\"optional\":true" : ",\"optional\":false");
        out.append(node.collection ? ",\"collection\":true" : ",\"collection\":false");
    }
    out.append(",\"status\":");
    append_json_integer(out, static_cast<int>(node.status));
    out.append(node.status == store::progress_status::completed ? ",\"completed\":true" : ",\"completed\":false");
    out.append(",\"progress_percent\":");
    append_json_number(out, node.progress_percent);
    out.append(",\"duration_seconds\":");
    append_json_number_or_null(out, node.duration_seconds);
    out.append(",\"time_spent_seconds\":");
    append_json_number(out, node.time_spent_seconds);
    out.append(",\"last_accessed_at\":");
    append_json_time_or_null(out, node.last_accessed_at);
    out.append(",\"completed_at\":");
    append_json_time_or_null(out, node.completed_at);
    if (!node.collection) {
        out.append(",\"position_seconds\":");
        append_json_number_or_null(out, node.has_record ? std::optional(node.position_seconds) : std::nullopt);
        out.append(",\"watched_percent\":");
        append_json_number(out, node.watched_percent);
        return;
    }
    append_count(out, ",\"counts\":{\"total\":", node.counts.total);
    append_count(out, ",\"completed\":", node.counts.completed);
    append_count(out, ",\"in_progress\":", node.counts.in_progress);
    append_count(out, ",\"not_started\":", node.counts.not_started);
    append_count(out, ",\"optional\":", node.counts.optional);
    out.push_back('}');  // counts
    out.append(node.weights == store::weighting::duration ? ",\"weighting\":\"duration\"" : ",\"weighting\":\"count\"");
    out.append(",\"current_child_id\":");
    append_json_string_or_null(out, !node.current_child_id.empty(), node.current_child_id);
    out.append(",\"current_content_id\":");
    append_json_string_or_null(out, !node.current_content_id.empty(), node.current_content_id);
    out.append(",\"children\":[");
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        out.append(i == 0 ? "{" : ",{");
        append_node_members(out, node.children[i], true);
        out.push_back('}');
    }
    out.push_back(']');
}

}  // namespace

std::optional<std::string> collection_progress_json(services& context, thread_context& thread,
                                                    std::string_view user_id, std::string_view context_id,
                                                    std::string_view collection_id) {
    // Holding the snapshot keeps every view into it valid while the records are read.
    const auto snapshot = thread.catalog.shared(context.data.catalog());
    if (!store::is_known_collection(*snapshot, collection_id)) return std::nullopt;

    const auto progress = store::aggregate_user_collection(context.data.records(), *snapshot, user_id, context_id, collection_id).node;

    std::string text;
    text.reserve(256 + progress.children.size() * typical_child_json_bytes);
    text.append("{\"user_id\":");
    append_json_string(text, user_id);
    text.append(",\"context_id\":");
    append_json_string(text, context_id);
    text.append(",\"collection_id\":");
    append_json_string(text, collection_id);
    text.push_back(',');
    append_node_members(text, progress, false);
    text.push_back('}');
    return text;
}

std::optional<std::string> reset_parent_progress(services& context, thread_context& thread,
                                                 std::string_view user_id, std::string_view context_id,
                                                 std::string_view content_id) {
    const auto snapshot = thread.catalog.shared(context.data.catalog());
    const auto parent = snapshot->parent_of(content_id);
    if (!parent) return std::nullopt;
    return collection_progress_json(context, thread, user_id, context_id, std::string(*parent));
}

}  // namespace progressd
