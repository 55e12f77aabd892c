// Skilljar request parsing, pagination and response shapes (handlers/compat/skilljar/skilljar_mapping.hpp).

#include "handlers/compat/skilljar/skilljar_mapping.hpp"

#include "handlers/json/iso8601.hpp"

#include "handlers/auth/base64url.hpp"
#include "store/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace progressd::skilljar {
namespace {

void add(field_errors& errors, std::string_view field, std::string message) {
    errors[std::string(field)].push_back(std::move(message));
}

// A date-time field that may be null. Absent: nullopt; null: optional holding nullopt.
std::optional<std::optional<std::int64_t>> read_time(const boost::json::object& body, std::string_view name,
                                                     std::string_view prefix, bool nullable, field_errors& errors) {
    const auto* value = body.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (value->is_null()) {
        if (nullable) return std::optional<std::int64_t>{};
        add(errors, std::string(prefix) + std::string(name), "This field may not be null.");
        return std::nullopt;
    }
    if (value->is_string()) {
        if (auto ms = parse_iso8601(value->get_string())) return std::optional<std::int64_t>{*ms};
    }
    add(errors, std::string(prefix) + std::string(name),
        "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
    return std::nullopt;
}

std::optional<std::optional<success_status>> read_success(const boost::json::object& body, std::string_view name,
                                                          std::string_view prefix, field_errors& errors) {
    const auto* value = body.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (value->is_null()) return std::optional<success_status>{};
    if (value->is_string() && value->get_string() == "PASSED") return std::optional<success_status>{success_status::passed};
    if (value->is_string() && value->get_string() == "FAILED") return std::optional<success_status>{success_status::failed};
    std::string shown = value->is_string() ? std::string(value->get_string()) : boost::json::serialize(*value);
    add(errors, std::string(prefix) + std::string(name), "\"" + shown + "\" is not a valid choice.");
    return std::nullopt;
}

std::optional<double> read_score(const boost::json::object& body, std::string_view name, std::string_view prefix,
                                 field_errors& errors) {
    const auto* value = body.if_contains(name);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (value->is_int64() && value->get_int64() >= 0 && value->get_int64() <= 1'000'000'000) {
        return static_cast<double>(value->get_int64());
    }
    if (value->is_uint64() && value->get_uint64() <= 1'000'000'000) return static_cast<double>(value->get_uint64());
    add(errors, std::string(prefix) + std::string(name), "A valid integer is required.");
    return std::nullopt;
}

std::optional<bool> read_bool(const boost::json::object& body, std::string_view name, field_errors& errors) {
    const auto* value = body.if_contains(name);
    if (value == nullptr) return std::nullopt;
    if (value->is_bool()) return value->get_bool();
    add(errors, name, "Must be a valid boolean.");
    return std::nullopt;
}

std::optional<std::string> refuse_completion_time(std::string_view field, std::optional<std::int64_t> at,
                                                  std::int64_t now_ms) {
    if (!at) return std::nullopt;
    // The record's completed_at 0 means "never": the epoch itself cannot be stored.
    if (*at <= 0) return std::string(field) + " must be after 1970-01-01T00:00:00Z.";
    if (*at <= now_ms + completion_time_lead_ms) return std::nullopt;
    return std::string(field) + " " + std::string(iso8601_or_null(*at).as_string()) +
           " is in the future: a completion time may be at most " +
           std::to_string(completion_time_lead_ms / 60'000) + " minutes ahead of the server's clock (" +
           std::string(iso8601_or_null(now_ms).as_string()) + ").";
}

}  // namespace

std::optional<page_request> parse_page(const std::optional<std::string>& page,
                                       const std::optional<std::string>& page_size, std::size_t default_size,
                                       std::size_t max_size, bool page_size_allowed) {
    page_request request{1, default_size};
    if (page) {
        std::size_t number = 0;
        const auto* end = page->data() + page->size();
        auto [ptr, error] = std::from_chars(page->data(), end, number);
        // A page that is not a positive integer is an invalid page.
        if (error != std::errc() || ptr != end || number == 0) return std::nullopt;
        request.page = number;
    }
    if (page_size && page_size_allowed) {
        std::size_t size = 0;
        const auto* end = page_size->data() + page_size->size();
        auto [ptr, error] = std::from_chars(page_size->data(), end, size);
        if (error == std::errc() && ptr == end && size > 0) request.page_size = std::min(size, max_size);
    }
    return request;
}

bool page_exists(const page_request& page, std::size_t count) {
    if (page.page <= 1) return true;
    return (page.page - 1) * page.page_size < count;
}

boost::json::object page_envelope(std::size_t count, const page_request& page, std::string_view base_url,
                                  std::string_view query, boost::json::array results) {
    // Other query parameters are kept, page replaced, as DRF's replace_query_param does.
    std::string kept;
    std::size_t start = 0;
    while (start <= query.size() && !query.empty()) {
        const auto amp = query.find('&', start);
        const auto part = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        if (!part.empty() && part.substr(0, part.find('=')) != "page") {
            kept += part;
            kept += '&';
        }
        if (amp == std::string_view::npos) break;
        start = amp + 1;
    }
    auto link = [&](std::size_t number) -> boost::json::value {
        std::string url(base_url);
        // DRF drops page=1 from the previous link of page 2.
        if (number == 1) {
            if (!kept.empty()) url += "?" + kept.substr(0, kept.size() - 1);
        } else {
            url += "?" + kept + "page=" + std::to_string(number);
        }
        return boost::json::string(url);
    };
    const bool has_next = page.page * page.page_size < count;
    boost::json::object envelope;
    envelope["count"] = count;
    envelope["next"] = has_next ? link(page.page + 1) : boost::json::value(nullptr);
    envelope["previous"] = page.page > 1 ? link(page.page - 1) : boost::json::value(nullptr);
    envelope["results"] = std::move(results);
    return envelope;
}

boost::json::object validation_body(const field_errors& errors) {
    boost::json::object body;
    for (const auto& [field, messages] : errors) {
        boost::json::array list;
        for (const auto& message : messages) list.push_back(boost::json::string(message));
        // "a.b" nests: {"a": {"b": [...]}}, as DRF renders a nested serializer's errors.
        const auto dot = field.find('.');
        if (dot == std::string::npos) {
            body[field] = std::move(list);
        } else {
            auto& inner = body[field.substr(0, dot)];
            if (!inner.is_object()) inner = boost::json::object{};
            inner.as_object()[field.substr(dot + 1)] = std::move(list);
        }
    }
    return body;
}

lesson_update parse_lesson_update(const boost::json::object& body, std::string_view prefix, bool token_fields_only,
                                  field_errors& errors) {
    lesson_update update;
    update.completed_at = read_time(body, "completed_at", prefix, true, errors);
    update.success = read_success(body, "success_status", prefix, errors);
    update.score = read_score(body, "score", prefix, errors);
    update.max_score = read_score(body, "max_score", prefix, errors);
    if (token_fields_only) return update;
    if (auto finished = read_time(body, "finished_at", prefix, true, errors); finished && *finished) {
        update.finished_at = **finished;
    }
    if (const auto* custom = body.if_contains("custom_data")) {
        if (custom->is_string() && custom->get_string().size() <= 2048) {
            update.custom_data = std::string(custom->get_string());
        } else if (custom->is_null()) {
            update.custom_data = std::string();
        } else {
            add(errors, std::string(prefix) + "custom_data", "Not a valid string of at most 2048 characters.");
        }
    }
    return update;
}

course_update parse_course_update(const boost::json::object& course_progress, field_errors& errors) {
    course_update update;
    update.completed_at = read_time(course_progress, "completed_at", "course_progress.", true, errors);
    update.success = read_success(course_progress, "success_status", "course_progress.", errors);
    return update;
}

std::optional<std::int64_t> completion_time(const lesson_update& update) {
    if (update.completed_at && *update.completed_at) return **update.completed_at;
    return update.finished_at;
}

std::optional<std::string> refuse_completion_times(const lesson_update& update, std::int64_t now_ms) {
    if (auto refused = refuse_completion_time("completed_at", update.completed_at.value_or(std::nullopt), now_ms)) {
        return refused;
    }
    return refuse_completion_time("finished_at", update.finished_at, now_ms);
}

std::optional<std::string> refuse_completion_times(const course_update& update, std::int64_t now_ms) {
    return refuse_completion_time("completed_at", update.completed_at.value_or(std::nullopt), now_ms);
}

void apply_quiz(store::assessment_state& state, const lesson_update& update, std::int64_t now_ms) {
    store::assessment_attempt attempt;
    attempt.attempt_id = skilljar_attempt_id;
    // Start from the kept Skilljar attempt so a write of one field keeps the others.
    for (const auto& kept : state.attempts) {
        if (kept.attempt_id == skilljar_attempt_id) attempt = kept;
    }
    if (update.score) attempt.score = *update.score;
    if (update.max_score) attempt.max_score = *update.max_score;
    if (update.success) attempt.passed = *update.success == success_status::passed;
    attempt.submitted_at = now_ms;
    // A verdict without a score and no quiz yet: null changes nothing.
    if (state.attempts.empty() && !update.score && !update.max_score && update.success && !*update.success) return;
    store::record_attempt(state, std::move(attempt));
}

void check_scores(const lesson_update& update, const store::assessment_state* quiz, std::string_view prefix,
                  field_errors& errors) {
    if (!update.score && !update.max_score) return;
    const store::assessment_attempt* kept = nullptr;
    if (quiz) {
        for (const auto& attempt : quiz->attempts) {
            if (attempt.attempt_id == skilljar_attempt_id) kept = &attempt;
        }
    }
    const std::string field(prefix);
    if (update.max_score && *update.max_score < 1) {
        add(errors, field + "max_score", "Ensure this value is greater than or equal to 1.");
        return;
    }
    const std::optional<double> max_score = update.max_score ? update.max_score
                                            : kept && kept->max_score >= 1 ? std::optional<double>(kept->max_score)
                                                                           : std::nullopt;
    if (!max_score) {
        add(errors, field + "max_score", "This field is required with score.");
        return;
    }
    const double score = update.score ? *update.score : kept ? kept->score : 0;
    if (score > *max_score) add(errors, field + "score", "Ensure this value is less than or equal to max_score.");
}

void apply_course_verdict(store::assessment_state& state, std::optional<success_status> verdict, std::int64_t now_ms) {
    lesson_update update;
    update.success = verdict;
    apply_quiz(state, update, now_ms);
}

enrollment_create parse_enrollment_create(const boost::json::object& body, field_errors& errors) {
    enrollment_create create;
    const auto* user = body.if_contains("user");
    const boost::json::value* id = user && user->is_object() ? user->as_object().if_contains("id") : nullptr;
    if (user == nullptr) {
        add(errors, "user", "This field is required.");
    } else if (!user->is_object()) {
        add(errors, "user", "Invalid data. Expected a dictionary.");
    } else if (id == nullptr) {
        add(errors, "user.id", "This field is required.");
    } else if (!id->is_string() || !store::is_valid_id(id->get_string())) {
        add(errors, "user.id", "Not a valid user id.");
    } else {
        create.user_id = std::string(id->get_string());
    }
    if (auto enrolled = read_time(body, "enrolled_at", "", false, errors)) create.enrolled_at = **enrolled;
    if (auto expires = read_time(body, "expires_at", "", true, errors)) create.expires_at = expires->value_or(0);
    create.active = read_bool(body, "active", errors);
    return create;
}

store::enrolment_update parse_enrollment_update(const boost::json::object& body, field_errors& errors) {
    store::enrolment_update update;
    if (auto expires = read_time(body, "expires_at", "", true, errors)) update.expires_at = expires->value_or(0);
    update.active = read_bool(body, "active", errors);
    return update;
}

std::string enrollment_id(std::string_view user_id, std::string_view context_id) {
    // '/' is not an id character, so it separates unambiguously.
    std::string joined(user_id);
    joined += '/';
    joined += context_id;
    return auth::base64url_encode(joined);
}

std::optional<std::pair<std::string, std::string>> parse_enrollment_id(std::string_view id) {
    auto joined = auth::base64url_decode(id);
    if (!joined) return std::nullopt;
    const auto slash = joined->find('/');
    if (slash == std::string::npos) return std::nullopt;
    std::string user = joined->substr(0, slash);
    std::string context = joined->substr(slash + 1);
    if (!store::is_valid_id(user) || !store::is_valid_context_id(context)) return std::nullopt;
    return std::pair{std::move(user), std::move(context)};
}

std::string enrollment_context(std::int64_t enrolled_at) { return "enrolled-" + std::to_string(enrolled_at); }

boost::json::value success_json(const store::assessment_state* quiz) {
    if (quiz == nullptr || quiz->attempts.empty()) return nullptr;
    return boost::json::string(quiz->passed() ? "PASSED" : "FAILED");
}

boost::json::object lesson_to_json(const lesson_view& view) {
    const auto* record = view.record;
    const store::assessment_attempt* attempt = nullptr;
    if (view.quiz != nullptr) {
        attempt = view.quiz->last();
        for (const auto& kept : view.quiz->attempts) {
            if (kept.attempt_id == skilljar_attempt_id) attempt = &kept;
        }
    }
    boost::json::value custom_data = nullptr;
    if (record != nullptr && record->annotations && !record->annotations->metadata.empty()) {
        boost::system::error_code ec;
        auto metadata = boost::json::parse(record->annotations->metadata, ec);
        if (!ec && metadata.is_object()) {
            if (const auto* custom = metadata.as_object().if_contains("custom_data")) custom_data = *custom;
        }
    }
    const std::int64_t completed_at = record != nullptr && record->status == store::progress_status::completed
                                          ? record->completed_at
                                          : 0;
    boost::json::object lesson{
        {"id", view.lesson->content_id},
        {"title", view.lesson->title},
        {"type", view.lesson->type},
        {"order", view.order},
        {"optional", view.lesson->optional},
    };
    boost::json::object progress{
        {"id", view.lesson_progress_id},
        {"started_at", iso8601_or_null(record ? record->first_accessed_at : 0)},
        {"finished_at", iso8601_or_null(completed_at)},
        {"completed_at", iso8601_or_null(completed_at)},
        {"last_accessed_at", iso8601_or_null(record ? record->last_accessed_at : 0)},
        {"success_status", success_json(view.quiz)},
        {"score", attempt ? boost::json::value(std::llround(attempt->score)) : boost::json::value(nullptr)},
        {"max_score", attempt ? boost::json::value(std::llround(attempt->max_score)) : boost::json::value(nullptr)},
        {"custom_data", custom_data},
    };
    return {{"id", view.lesson->content_id}, {"lesson", std::move(lesson)}, {"lesson_progress", std::move(progress)}};
}

boost::json::object course_to_json(const course_view& view) {
    const auto& course = *view.course;
    // Lessons are the required leaves at every depth, as in the lesson list and the Education
    // summary; the aggregate's own counts are of its direct children, a unit counting as one.
    const auto lessons = store::collection_leaves(course, true);
    const auto completed_lessons = static_cast<std::size_t>(
        std::count_if(lessons.begin(), lessons.end(),
                      [](const auto* lesson) { return lesson->status == store::progress_status::completed; }));
    boost::json::object progress{
        {"enrolled_at", iso8601_or_null(view.enrolled_at)},
        {"completed_at", iso8601_or_null(course.status == store::progress_status::completed ? course.completed_at : 0)},
        {"last_accessed_at", iso8601_or_null(course.last_accessed_at)},
        {"success_status", success_json(view.verdict)},
        {"percent_complete", std::llround(course.progress_percent)},
        {"lesson_count", lessons.size()},
        {"completed_lesson_count", completed_lessons},
    };
    return {
        {"id", view.course_id},
        {"course", boost::json::object{{"id", view.course_id}, {"title", course.title}}},
        {"course_progress", std::move(progress)},
    };
}

boost::json::object enrollment_to_json(std::string_view user_id, std::string_view context_id,
                                       const store::enrolment& value) {
    return {
        {"id", enrollment_id(user_id, context_id)},
        {"user", boost::json::object{{"id", user_id}, {"email", nullptr}, {"first_name", nullptr}, {"last_name", nullptr}}},
        {"enrolled_at", iso8601_or_null(value.enrolled_at)},
        {"expires_at", iso8601_or_null(value.expires_at)},
        {"active", value.active},
    };
}

}  // namespace progressd::skilljar
