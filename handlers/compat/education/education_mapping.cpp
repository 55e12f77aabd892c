#include "handlers/compat/education/education_mapping.hpp"

#include "handlers/json/iso8601.hpp"
#include "handlers/json/json_text.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

namespace progressd::education {
namespace {

// Whole seconds, as the document shows ("2019-08-24T14:15:22Z"); 0 (never) is null.
boost::json::value time_or_null(std::int64_t ms) { return iso8601_or_null(ms, iso8601_precision::seconds); }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The length of the well-formed UTF-8 sequence at `at` (Unicode table 3-7), 0 when none starts there.
std::size_t utf8_length(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0u; };
    const unsigned lead = byte(0);
    const auto tail = [&](std::size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
        return byte(i) >= low && byte(i) <= high;
    };
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return tail(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        const bool second = lead == 0xE0 ? tail(1, 0xA0) : lead == 0xED ? tail(1, 0x80, 0x9F) : tail(1);
        return second && tail(2) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        const bool second = lead == 0xF0 ? tail(1, 0x90) : lead == 0xF4 ? tail(1, 0x80, 0x8F) : tail(1);
        return second && tail(2) && tail(3) ? 4 : 0;
    }
    return 0;
}

// Path parameters are raw bytes (Beast passes obs-text through, percent-decoding makes any byte):
// echoed into a JSON body as they are, one invalid byte makes the whole body invalid JSON. Each
// byte outside a well-formed sequence becomes U+FFFD, as Starlette decodes a path.
std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

validation_error field_error(std::string_view field, std::string msg, std::string type, boost::json::value input,
                             boost::json::object ctx = {}) {
    return {boost::json::array{"body", field}, std::move(msg), std::move(type), std::move(input), std::move(ctx)};
}

// A JSON number (not a boolean) in [0, max], or an error in pydantic's words.
std::optional<double> read_number(const boost::json::value& value, std::string_view field, double max,
                                  std::vector<validation_error>& errors) {
    if (!value.is_number()) {
        errors.push_back(value.is_string()
                             ? field_error(field, "Input should be a valid number, unable to parse string as a number",
                                           "float_parsing", value)
                             : field_error(field, "Input should be a valid number", "float_type", value));
        return std::nullopt;
    }
    const double number = value.to_number<double>();
    if (!std::isfinite(number)) {
        errors.push_back(field_error(field, "Input should be a finite number", "finite_number", value));
        return std::nullopt;
    }
    if (number < 0) {
        errors.push_back(field_error(field, "Input should be greater than or equal to 0", "greater_than_equal", value,
                                     {{"ge", 0}}));
        return std::nullopt;
    }
    if (number > max) {
        boost::json::object ctx{{"le", max}};
        errors.push_back(field_error(field, "Input should be less than or equal to " + to_json_text(max),
                                     "less_than_equal", value, std::move(ctx)));
        return std::nullopt;
    }
    return number;
}

std::optional<bool> read_bool(const boost::json::value& value, std::string_view field,
                              std::vector<validation_error>& errors) {
    if (value.is_bool()) return value.as_bool();
    errors.push_back(field_error(field, "Input should be a valid boolean", "bool_type", value));
    return std::nullopt;
}

}  // namespace

boost::json::object validation_body(const std::vector<validation_error>& errors) {
    boost::json::array detail;
    detail.reserve(errors.size());
    for (const auto& error : errors) {
        detail.push_back(boost::json::object{{"loc", error.loc},
                                             {"msg", error.msg},
                                             {"type", error.type},
                                             {"input", error.input},
                                             {"ctx", error.ctx}});
    }
    return {{"detail", std::move(detail)}};
}

std::optional<std::string> canonical_uuid(std::string_view text, std::string& reason) {
    std::string_view body = text;
    std::size_t offset = 0;  // where `body` starts in `text`, for error positions
    if (body.starts_with("urn:uuid:")) {
        body.remove_prefix(9);
        offset = 9;
    } else if (body.size() >= 2 && body.front() == '{' && body.back() == '}') {
        body = body.substr(1, body.size() - 2);
        offset = 1;
    }
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (!is_hex(body[i]) && body[i] != '-') {
            reason = "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `" +
                     valid_utf8(body.substr(i, std::max<std::size_t>(1, utf8_length(body, i)))) + "` at " +
                     std::to_string(offset + i + 1);
            return std::nullopt;
        }
    }
    std::string hex;
    if (body.find('-') == std::string_view::npos) {
        if (body.size() != 32) {
            reason = "invalid length: expected length 32 for simple format, found " + std::to_string(body.size());
            return std::nullopt;
        }
        hex = body;
    } else {
        static constexpr std::size_t group_lengths[] = {8, 4, 4, 4, 12};
        std::vector<std::string_view> groups;
        for (std::size_t start = 0;;) {
            const std::size_t dash = body.find('-', start);
            groups.push_back(body.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start));
            if (dash == std::string_view::npos) break;
            start = dash + 1;
        }
        if (groups.size() != 5) {
            reason = "invalid group count: expected 5, found " + std::to_string(groups.size());
            return std::nullopt;
        }
        for (std::size_t i = 0; i < groups.size(); ++i) {
            if (groups[i].size() != group_lengths[i]) {
                reason = "invalid group length in group " + std::to_string(i) + ": expected " +
                         std::to_string(group_lengths[i]) + ", found " + std::to_string(groups[i].size());
                return std::nullopt;
            }
            hex.append(groups[i]);
        }
    }
    std::string canonical;
    canonical.reserve(36);
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) canonical += '-';
        canonical += lower(hex[i]);
    }
    return canonical;
}

validation_error uuid_error(std::string_view location, std::string_view name, std::string_view input,
                            std::string_view reason) {
    const std::string valid_reason = valid_utf8(reason);
    return {boost::json::array{location, name}, "Input should be a valid UUID, " + valid_reason, "uuid_parsing",
            boost::json::string(valid_utf8(input)), boost::json::object{{"error", valid_reason}}};
}

std::string_view status_name(store::progress_status status) {
    switch (status) {
        case store::progress_status::not_started: return "not_started";
        case store::progress_status::in_progress: return "in_progress";
        case store::progress_status::completed: return "completed";
    }
    return "not_started";
}

std::optional<store::progress_status> parse_status(std::string_view name) {
    if (name == "not_started") return store::progress_status::not_started;
    if (name == "in_progress") return store::progress_status::in_progress;
    if (name == "completed") return store::progress_status::completed;
    return std::nullopt;
}

std::int64_t whole_minutes(double seconds) {
    return seconds > 0 ? static_cast<std::int64_t>(std::floor(seconds / 60.0)) : 0;
}

boost::json::object lesson_to_json(const lesson_ids& ids, const store::progress_record& record,
                                   const store::assessment_state* quiz) {
    boost::json::value quiz_score = nullptr;
    if (quiz && quiz->last()) {
        const auto& newest = *quiz->last();
        quiz_score = newest.max_score > 0 ? newest.score / newest.max_score * 100 : newest.score;
    }
    const auto* notes = record.annotations.get();
    boost::json::value metadata = boost::json::object{};
    if (notes && !notes->metadata.empty()) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(notes->metadata, ec);
        if (!ec && parsed.is_object()) metadata = std::move(parsed);
    }
    return {
        {"user_id", ids.user_id},
        {"course_id", ids.course_id},
        {"lesson_id", ids.lesson_id},
        {"content_id", ids.lesson_id},
        {"status", status_name(record.status)},
        {"progress_percentage", record.progress_percent},
        {"video_position_seconds", record.position_seconds},
        {"quiz_score", std::move(quiz_score)},
        {"quiz_attempts", quiz ? quiz->attempt_count : 0},
        {"quiz_passed", quiz ? quiz->passed() : false},
        {"time_spent_minutes", whole_minutes(record.time_spent_seconds)},
        {"user_notes", notes && !notes->notes.empty() ? boost::json::value(notes->notes) : boost::json::value(nullptr)},
        {"is_bookmarked", notes ? notes->bookmarked : false},
        {"metadata", std::move(metadata)},
        {"id", store::format_uuid(record.record_id)},
        {"completed_at", time_or_null(record.completed_at)},
        {"created_at", time_or_null(record.first_accessed_at ? record.first_accessed_at : record.updated_at)},
        {"updated_at", time_or_null(record.updated_at)},
    };
}

boost::json::object summary_to_json(std::string_view course_id, const store::node_progress& course) {
    std::size_t completed = 0;
    std::size_t in_progress = 0;
    const auto lessons = store::collection_leaves(course, true);
    for (const auto* lesson : lessons) {
        if (lesson->status == store::progress_status::completed) ++completed;
        if (lesson->status == store::progress_status::in_progress) ++in_progress;
    }
    return {
        {"course_id", course_id},
        {"total_lessons", lessons.size()},
        {"completed_lessons", completed},
        {"in_progress_lessons", in_progress},
        {"completion_percentage", course.progress_percent},
        {"total_time_spent_minutes", whole_minutes(course.time_spent_seconds)},
        {"last_accessed", time_or_null(course.last_accessed_at)},
    };
}

lesson_update parse_lesson_update(const boost::json::value& body, std::vector<validation_error>& errors) {
    lesson_update update;
    if (!body.is_object()) {
        errors.push_back({boost::json::array{"body"}, "Input should be a valid dictionary or object to extract fields from",
                          "model_attributes_type", body, {}});
        return update;
    }
    const auto& object = body.as_object();
    auto given = [&](std::string_view name) -> const boost::json::value* {
        const auto* value = object.if_contains(name);
        return value && !value->is_null() ? value : nullptr;
    };
    if (const auto* value = given("status")) {
        const auto status = value->is_string() ? parse_status(value->as_string()) : std::nullopt;
        if (status) {
            update.record.status = status;
        } else {
            errors.push_back(field_error("status", "Input should be 'not_started', 'in_progress' or 'completed'", "enum",
                                         *value, {{"expected", "'not_started', 'in_progress' or 'completed'"}}));
        }
    }
    if (const auto* value = given("progress_percentage")) {
        update.record.progress_percent = read_number(*value, "progress_percentage", 100, errors);
    }
    if (const auto* value = given("video_position_seconds")) {
        update.record.position_seconds = read_number(*value, "video_position_seconds", max_position_seconds, errors);
    }
    if (const auto* value = given("time_spent_minutes")) {
        if (auto minutes = read_number(*value, "time_spent_minutes", max_time_spent_minutes, errors)) {
            update.record.time_spent_seconds = *minutes * 60;
        }
    }
    if (const auto* value = given("quiz_score")) update.quiz.score_percent = read_number(*value, "quiz_score", 100, errors);
    if (const auto* value = given("quiz_attempts")) {
        if (!value->is_int64() && !value->is_uint64()) {
            const bool fractional = value->is_double();
            errors.push_back(field_error("quiz_attempts",
                                         fractional ? "Input should be a valid integer, got a number with a fractional part"
                                                    : "Input should be a valid integer",
                                         fractional ? "int_from_float" : "int_type", *value));
        } else if (auto count = read_number(*value, "quiz_attempts", max_quiz_attempts, errors)) {
            update.quiz.attempts = static_cast<std::uint32_t>(*count);
        }
    }
    if (const auto* value = given("quiz_passed")) update.quiz.passed = read_bool(*value, "quiz_passed", errors);
    if (const auto* value = given("is_bookmarked")) update.record.bookmarked = read_bool(*value, "is_bookmarked", errors);
    if (const auto* value = object.if_contains("user_notes")) {
        if (value->is_null()) {
            update.record.notes = std::string();
        } else if (!value->is_string()) {
            errors.push_back(field_error("user_notes", "Input should be a valid string", "string_type", *value));
        } else if (value->as_string().size() > max_notes_bytes) {
            errors.push_back(field_error("user_notes", "String should have at most 4096 characters", "string_too_long",
                                         *value, {{"max_length", max_notes_bytes}}));
        } else {
            update.record.notes = std::string(value->as_string());
        }
    }
    if (const auto* value = object.if_contains("metadata")) {
        if (value->is_null()) {
            update.record.metadata = std::string();
        } else if (!value->is_object()) {
            errors.push_back(field_error("metadata", "Input should be a valid dictionary", "dict_type", *value));
        } else if (auto text = to_json_text(*value); text.size() > max_metadata_bytes) {
            errors.push_back(field_error("metadata", "Value error, metadata must be at most 4096 bytes as JSON",
                                         "value_error", *value, {{"error", "metadata must be at most 4096 bytes as JSON"}}));
        } else {
            update.record.metadata = value->as_object().empty() ? std::string() : std::move(text);
        }
    }
    return update;
}

}  // namespace progressd::education
