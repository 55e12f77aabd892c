#include "handlers/native/user_export.hpp"

#include "handlers/json/assessment_json.hpp"
#include "handlers/json/csv_text.hpp"
#include "handlers/json/enrolment_json.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/json/record_json.hpp"
#include "handlers/services.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace progressd {
namespace {

// The annotations come last, so the columns before them keep the places they always had.
constexpr std::array<std::string_view, 32> columns = {
    "kind",          "user_id",         "context_id",       "content_id",  "collection_id", "record_id",
    "status",        "progress_percent", "watched_percent", "position_seconds", "duration_seconds",
    "time_spent_seconds", "views",      "first_accessed_at", "last_accessed_at", "updated_at", "completed_at",
    "mimetype",      "details",         "hidden",           "enrolled_at", "expires_at",    "active",
    "source",        "attempt_id",      "score",            "max_score",   "passed",        "submitted_at",
    "notes",         "bookmarked",      "metadata",
};

std::size_t column(std::string_view name) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == name) return i;
    }
    return columns.size();  // never: every name used below is a column
}

// One CSV row under construction: cells by column name, written in header order.
class csv_row {
public:
    csv_row& set(std::string_view name, std::string value) {
        cells_[column(name)] = std::move(value);
        return *this;
    }
    csv_row& number(std::string_view name, double value) {
        std::string text;
        append_json_number(text, value);
        return set(name, std::move(text));
    }
    csv_row& integer(std::string_view name, std::int64_t value) { return set(name, std::to_string(value)); }
    csv_row& time(std::string_view name, std::int64_t ms) { return ms ? integer(name, ms) : *this; }
    csv_row& flag(std::string_view name, bool value) { return set(name, value ? "true" : "false"); }

    void write(std::string& out) const {
        for (std::size_t i = 0; i < cells_.size(); ++i) {
            if (i) out += ',';
            append_csv_field(out, cells_[i]);
        }
        out += "\r\n";
    }

private:
    std::array<std::string, columns.size()> cells_{};
};

// A record's notes, bookmark and metadata (Skilljar's custom_data among them): the native record
// JSON leaves them out (docs/data-model.md), but the export holds everything stored about the
// user, so each exported record carries them, null / false when it has none.
void add_annotations(boost::json::object& json, const store::progress_record& record) {
    const auto* annotations = record.annotations.get();
    json["notes"] = annotations && !annotations->notes.empty() ? boost::json::value(annotations->notes)
                                                               : boost::json::value(nullptr);
    json["bookmarked"] = annotations && annotations->bookmarked;
    boost::json::value metadata = nullptr;
    if (annotations && !annotations->metadata.empty()) {
        // Validated as a JSON object when written; kept as text when it somehow is not.
        boost::system::error_code ec;
        metadata = boost::json::parse(annotations->metadata, ec);
        if (ec) metadata = boost::json::value(annotations->metadata);
    }
    json["metadata"] = std::move(metadata);
}

}  // namespace

user_data collect_user_data(const services& context, std::string_view user_id) {
    user_data data;
    data.records = context.data.records().list_user(user_id, 0, SIZE_MAX).records;
    data.enrolments = context.data.enrolments().list_user(user_id);
    data.assessments = context.data.assessments().list_user(user_id);
    return data;
}

boost::json::object user_data_to_json(std::string_view user_id, const user_data& data, std::int64_t now_ms) {
    boost::json::array records;
    for (const auto& [key, record] : data.records) {
        auto json = record_to_json(user_id, key, record);
        add_annotations(json, record);
        records.push_back(std::move(json));
    }
    boost::json::array enrolments;
    for (const auto& [key, value] : data.enrolments) enrolments.push_back(enrolment_to_json(user_id, key, value, now_ms));
    boost::json::array assessments;
    for (const auto& [key, state] : data.assessments) assessments.push_back(state_to_json(user_id, key, state));
    return {
        {"user_id", user_id},
        {"exported_at", now_ms},
        {"records", std::move(records)},
        {"enrolments", std::move(enrolments)},
        {"assessments", std::move(assessments)},
    };
}

std::string user_data_to_csv(std::string_view user_id, const user_data& data) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ',';
        out += columns[i];
    }
    out += "\r\n";
    const std::string user(user_id);
    for (const auto& [key, record] : data.records) {
        csv_row row;
        row.set("kind", "record").set("user_id", user).set("context_id", key.context_id).set("content_id", key.content_id);
        row.set("record_id", store::format_uuid(record.record_id)).integer("status", static_cast<int>(record.status));
        row.number("progress_percent", record.progress_percent)
            .number("watched_percent", store::watched_percent(record.watched))
            .number("position_seconds", record.position_seconds)
            .number("duration_seconds", record.duration_seconds)
            .number("time_spent_seconds", record.time_spent_seconds)
            .integer("views", record.views);
        row.time("first_accessed_at", record.first_accessed_at)
            .time("last_accessed_at", record.last_accessed_at)
            .time("updated_at", record.updated_at)
            .time("completed_at", record.completed_at);
        row.set("mimetype", record.mimetype).set("details", record.details).flag("hidden", record.hidden);
        const auto* annotations = record.annotations.get();
        row.set("notes", annotations ? annotations->notes : std::string())
            .flag("bookmarked", annotations && annotations->bookmarked)
            .set("metadata", annotations ? annotations->metadata : std::string());
        row.write(out);
    }
    for (const auto& [key, value] : data.enrolments) {
        csv_row row;
        row.set("kind", "enrolment").set("user_id", user).set("context_id", key.context_id);
        row.set("collection_id", key.collection_id).time("enrolled_at", value.enrolled_at);
        row.time("expires_at", value.expires_at).flag("active", value.active);
        row.set("source", value.implicit ? "implicit" : "explicit").time("updated_at", value.updated_at);
        row.write(out);
    }
    for (const auto& [key, state] : data.assessments) {
        for (const auto& attempt : state.attempts) {
            csv_row row;
            row.set("kind", "attempt").set("user_id", user).set("context_id", key.context_id);
            row.set("content_id", key.content_id).set("attempt_id", attempt.attempt_id);
            row.number("score", attempt.score).number("max_score", attempt.max_score).flag("passed", attempt.passed);
            row.time("submitted_at", attempt.submitted_at);
            row.write(out);
        }
    }
    return out;
}

}  // namespace progressd
