// Sunbird enrolment summaries (handlers/compat/sunbird/sunbird_mapping.hpp): the summary of one enrolment and
// the CSV download of several. Pure functions, beside the request mapping in sunbird_mapping.cpp.

#include "handlers/compat/sunbird/sunbird_mapping.hpp"

#include "handlers/json/csv_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace progressd::sunbird {

namespace {
std::string cell(const boost::json::value* value) {
    if (!value || value->is_null()) return {};
    if (value->is_string()) return std::string(value->get_string());
    return boost::json::serialize(*value);
}
}  // namespace

std::string summaries_to_csv(const boost::json::array& summaries) {
    static constexpr const char* columns[] = {"userId",   "collectionId",  "contextId", "enrolledDate", "active",
                                              "progress", "status",        "completedOn"};
    std::string out;
    for (const char* column : columns) {
        if (column != columns[0]) out += ',';
        out += column;
    }
    out += ",collectionName,leafNodesCount,contentStatus,assessmentStatus\r\n";
    for (const auto& entry : summaries) {
        const auto& summary = entry.as_object();
        for (const char* column : columns) {
            if (column != columns[0]) out += ',';
            append_csv_field(out, cell(summary.if_contains(column)));
        }
        const auto& collection = summary.at("collection").as_object();
        out += ',';
        append_csv_field(out, cell(collection.if_contains("name")));
        out += ',';
        append_csv_field(out, cell(collection.if_contains("leafNodesCount")));
        out += ',';
        append_csv_field(out, cell(summary.if_contains("contentStatus")));
        out += ',';
        append_csv_field(out, cell(summary.if_contains("assessmentStatus")));
        out += "\r\n";
    }
    return out;
}

quiz_status best_of(std::string_view content_id, const store::assessment_state& state) {
    quiz_status best{std::string(content_id), state.best_score(), 0};
    for (const auto& attempt : state.attempts) {
        if (attempt.score == best.score) best.max_score = std::max(best.max_score, attempt.max_score);
    }
    if (best.max_score == 0) {
        for (const auto& attempt : state.attempts) best.max_score = std::max(best.max_score, attempt.max_score);
    }
    return best;
}

std::size_t leaf_count(const store::node_progress& node) {
    if (!node.collection) return 1;
    std::size_t count = 0;
    for (const auto& child : node.children) count += leaf_count(child);
    return count;
}

boost::json::object summary_to_json(std::string_view user_id, const store::enrolment_key& key,
                                    const store::enrolment& value, const store::content_entry* collection,
                                    const store::node_progress* course,
                                    const std::vector<std::pair<std::string, store::progress_status>>& statuses,
                                    const std::vector<quiz_status>& quizzes) {
    boost::json::object content_status;
    for (const auto& [content_id, status] : statuses) content_status[content_id] = static_cast<int>(status);
    boost::json::object assessment_status;
    for (const auto& quiz : quizzes) {
        assessment_status[quiz.content_id] = {{"score", number(quiz.score)}, {"max_score", number(quiz.max_score)}};
    }

    // The catalog's attributes carry what Sunbird's collection has beyond a title.
    boost::json::object attributes;
    if (collection && !collection->attributes.empty()) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(collection->attributes, ec);
        if (!ec && parsed.is_object()) attributes = std::move(parsed.as_object());
    }
    auto attribute = [&](std::initializer_list<const char*> names) -> boost::json::value {
        for (const char* name : names) {
            if (const auto* found = attributes.if_contains(name); found && found->is_string()) return *found;
        }
        return nullptr;
    };
    boost::json::value name = nullptr;
    if (collection && !collection->title.empty()) name = boost::json::string(collection->title);

    boost::json::value context = nullptr;
    if (!key.context_id.empty()) context = boost::json::string(key.context_id);
    return {
        {"userId", user_id},
        {"collectionId", key.collection_id},
        {"contextId", context},
        {"enrolledDate", value.enrolled_at},
        {"active", value.active},
        {"contentStatus", std::move(content_status)},
        {"assessmentStatus", std::move(assessment_status)},
        {"collection",
         {{"identifier", key.collection_id},
          {"name", name},
          {"logo", attribute({"logo", "appIcon"})},
          {"leafNodesCount", static_cast<std::int64_t>(course ? leaf_count(*course) : 0)},
          {"description", attribute({"description"})}}},
        {"issuedCertificates", boost::json::array{}},
        {"completedOn", format_date(course ? course->completed_at : 0)},
        {"progress", number(course ? std::round(course->progress_percent) : 0)},
        {"status", static_cast<int>(course ? course->status : store::progress_status::not_started)},
    };
}

}  // namespace progressd::sunbird
