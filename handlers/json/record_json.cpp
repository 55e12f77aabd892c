#include "handlers/json/record_json.hpp"

#include "handlers/json/json_text.hpp"

#include <boost/json/parse.hpp>

namespace progressd {
namespace {

// details were validated as a JSON object when stored; they are written re-serialized, as the DOM
// holds them, and a parse failure means nothing to echo.
boost::json::value details_value(const std::string& details) {
    if (details.empty()) return nullptr;
    boost::system::error_code ec;
    auto value = boost::json::parse(details, ec);
    if (ec) return nullptr;
    return value;
}

}  // namespace

boost::json::object summary_to_json(std::string_view context_id, std::string_view content_id,
                                    const store::record_summary& summary) {
    return {
        {"content_id", content_id},
        {"context_id", context_id},
        {"status", static_cast<int>(summary.status)},
        {"progress_percent", summary.progress_percent},
        {"position_seconds", summary.position_seconds},
        {"time_spent_seconds", summary.time_spent_seconds},
        {"completed", summary.status == store::progress_status::completed},
    };
}

void append_summary_json(std::string& out, std::string_view context_id, std::string_view content_id,
                         const store::record_summary& summary) {
    const bool completed = summary.status == store::progress_status::completed;
    out.append("{\"content_id\":");
    append_json_string(out, content_id);
    out.append(",\"context_id\":");
    append_json_string(out, context_id);
    out.append(",\"status\":");
    out.push_back(static_cast<char>('0' + static_cast<int>(summary.status)));
    out.append(",\"progress_percent\":");
    append_json_number(out, summary.progress_percent);
    out.append(",\"position_seconds\":");
    append_json_number(out, summary.position_seconds);
    out.append(",\"time_spent_seconds\":");
    append_json_number(out, summary.time_spent_seconds);
    out.append(completed ? ",\"completed\":true}" : ",\"completed\":false}");
}

boost::json::object record_to_json(std::string_view user_id, const store::record_key& key,
                                   const store::progress_record& record) {
    boost::json::object json{
        {"user_id", user_id},
        {"context_id", key.context_id},
        {"content_id", key.content_id},
        {"record_id", store::format_uuid(record.record_id)},
        {"status", static_cast<int>(record.status)},
        {"completed", record.status == store::progress_status::completed},
        {"progress_percent", record.progress_percent},
        {"watched_percent", store::watched_percent(record.watched)},
        {"hidden", record.hidden},
        {"position_seconds", record.position_seconds},
        {"duration_seconds", record.duration_seconds},
        {"time_spent_seconds", record.time_spent_seconds},
        {"views", record.views},
        {"first_accessed_at", record.first_accessed_at},
        {"last_accessed_at", record.last_accessed_at},
        {"updated_at", record.updated_at},
        {"completed_at", nullptr},
        {"mimetype", nullptr},
        {"details", nullptr},
    };
    if (record.completed_at != 0) json["completed_at"] = record.completed_at;
    if (!record.mimetype.empty()) json["mimetype"] = record.mimetype;
    json["details"] = details_value(record.details);
    return json;
}

void append_record_members(std::string& out, std::string_view user_id, const store::record_key& key,
                           const store::progress_record& record) {
    out.append("\"user_id\":");
    append_json_string(out, user_id);
    out.append(",\"context_id\":");
    append_json_string(out, key.context_id);
    out.append(",\"content_id\":");
    append_json_string(out, key.content_id);
    out.append(",\"record_id\":");
    append_json_string(out, store::format_uuid(record.record_id));
    out.append(",\"status\":");
    append_json_integer(out, static_cast<int>(record.status));
    out.append(",\"completed\":");
    out.append(record.status == store::progress_status::completed ? "true" : "false");
    out.append(",\"progress_percent\":");
    append_json_number(out, record.progress_percent);
    out.append(",\"watched_percent\":");
    append_json_number(out, store::watched_percent(record.watched));
    out.append(",\"hidden\":");
    out.append(record.hidden ? "true" : "false");
    out.append(",\"position_seconds\":");
    append_json_number(out, record.position_seconds);
    out.append(",\"duration_seconds\":");
    append_json_number(out, record.duration_seconds);
    out.append(",\"time_spent_seconds\":");
    append_json_number(out, record.time_spent_seconds);
    out.append(",\"views\":");
    append_json_integer(out, record.views);
    out.append(",\"first_accessed_at\":");
    append_json_integer(out, record.first_accessed_at);
    out.append(",\"last_accessed_at\":");
    append_json_integer(out, record.last_accessed_at);
    out.append(",\"updated_at\":");
    append_json_integer(out, record.updated_at);
    out.append(",\"completed_at\":");
    append_json_time_or_null(out, record.completed_at);
    out.append(",\"mimetype\":");
    append_json_string_or_null(out, !record.mimetype.empty(), record.mimetype);
    if (record.details.empty()) {
        out.append(",\"details\":null");
    } else {
        out.append(",\"details\":");
        append_json(out, details_value(record.details));
    }
}

void append_record_json(std::string& out, std::string_view user_id, const store::record_key& key,
                        const store::progress_record& record) {
    out.push_back('{');
    append_record_members(out, user_id, key, record);
    out.push_back('}');
}

}  // namespace progressd
