// Skilljar progress subset (docs/compat-skilljar.md): an adapter over the store, the
// catalog, the aggregation, the enrolments and the assessments. A published course is a
// collection of the catalog (its id is the course id), a lesson is one of its leaves, and the
// progress is the user's in the organic context. Every endpoint is for services (HTTP Basic with
// an API key as the user name); errors are Django REST framework's {"detail": …} and
// {"field": ["message"]} bodies. The mapping lives in skilljar_mapping.*, the family's shared
// plumbing in skilljar_family.*; enrolments are in skilljar_enrollments.cpp.

#include "handlers/compat/skilljar/skilljar_family.hpp"

#include "app/progress_events.hpp"
#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/aggregate.hpp"
#include "store/ids.hpp"
#include "store/user_collection.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace progressd::skilljar {

namespace {

store::user_collection aggregate(services& context, const store::catalog_snapshot& catalog, std::string_view user_id,
                          std::string_view course_id) {
    return store::aggregate_user_collection(context.data.records(), catalog, user_id, "", course_id);
}

std::int64_t enrolled_at(services& context, std::string_view user_id, std::string_view course_id) {
    std::int64_t earliest = 0;
    for (const auto& [key, value] : context.data.enrolments().list_user(user_id)) {
        if (key.collection_id == course_id && (earliest == 0 || value.enrolled_at < earliest)) earliest = value.enrolled_at;
    }
    return earliest;
}

boost::json::object course_json(services& context, const store::catalog_snapshot& catalog, std::string_view user_id,
                                std::string_view course_id) {
    const auto state = aggregate(context, catalog, user_id, course_id);
    const auto verdict = context.data.assessments().find(user_id, store::record_key{"", std::string(course_id)});
    return course_to_json({course_id, &state.node, enrolled_at(context, user_id, course_id), verdict ? &*verdict : nullptr});
}

bool valid_user(std::string_view user_id) { return store::is_valid_id(user_id); }

// ---- users' published courses ----------------------------------------------------------------

handler_result list_courses(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const std::string user_id(request.params[0]);
    if (!valid_user(user_id)) return fail({error_code::not_found, {}, {}, {}});
    const auto page = read_page(request, 1000, false);
    if (!page) return {detail_response(http::status::not_found, "Invalid page.")};

    // The user's courses are those they are enrolled in (explicitly or by progress), by id.
    std::vector<std::string> courses;
    for (const auto& [key, value] : context.data.enrolments().list_user(user_id)) {
        if (courses.empty() || courses.back() != key.collection_id) courses.push_back(key.collection_id);
    }
    if (!page_exists(*page, courses.size())) return {detail_response(http::status::not_found, "Invalid page.")};
    const auto catalog = request.thread.catalog.shared(context.data.catalog());
    boost::json::array results;
    const std::size_t first = (page->page - 1) * page->page_size;
    for (std::size_t i = first; i < courses.size() && i < first + page->page_size; ++i) {
        results.push_back(course_json(context, *catalog, user_id, courses[i]));
    }
    return {json_response(http::status::ok,
                          page_envelope(courses.size(), *page, base_url(request), request.query, std::move(results)))};
}

handler_result update_course(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    const std::string user_id(request.params[0]);
    const std::string course_id(request.params[1]);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    course_update update;
    const auto* progress = body.if_contains("course_progress");
    if (progress == nullptr) {
        if (request.request.method() == http::verb::put) errors["course_progress"].push_back("This field is required.");
    } else if (!progress->is_object()) {
        errors["course_progress"].push_back("Invalid data. Expected a dictionary.");
    } else {
        update = parse_course_update(progress->as_object(), errors);
    }
    if (!errors.empty()) return invalid(errors);
    if (auto refused = refuse_completion_times(update, request.now_ms)) {
        return {detail_response(http::status::bad_request, *refused)};
    }
    const auto catalog = request.thread.catalog.shared(context.data.catalog());
    if (!valid_user(user_id) || !store::is_known_collection(*catalog, course_id)) {
        return fail({error_code::not_found, {}, {}, {}});
    }

    std::uint64_t generation = app::ensure_enrolment_with_events(context.data, request.call(), user_id, course_id, "").value_or(0);
    if (update.completed_at) {
        // Completing a course completes its required lessons; null un-completes every lesson
        // (the course's completion is derived from them, never stored on its own).
        const bool complete = update.completed_at->has_value();
        const auto state = aggregate(context, *catalog, user_id, course_id);
        for (const auto* lesson : store::collection_leaves(state.node, complete)) {
            const bool completed = lesson->status == store::progress_status::completed;
            if (completed == complete) continue;
            store::record_overwrite write;
            write.status = complete ? store::progress_status::completed : store::progress_status::in_progress;
            if (complete) write.completed_at = **update.completed_at;
            generation = std::max(
                generation, app::overwrite_with_events(context.data, request.call(), user_id, {"", lesson->content_id}, write).generation);
        }
    }
    if (update.success) {
        auto result = context.data.assessments().update(user_id, {"", course_id}, [&](store::assessment_state& state) {
            apply_course_verdict(state, *update.success, request.now_ms);
        });
        generation = std::max(generation, result.generation.value_or(0));
    }
    return finish(context, json_response(http::status::ok, course_json(context, *catalog, user_id, course_id)),
                  generation);
}

// ---- lessons ---------------------------------------------------------------------------------

handler_result list_lessons(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const std::string user_id(request.params[0]);
    const std::string course_id(request.params[1]);
    const auto page = read_page(request, 100, false);
    if (!page) return {detail_response(http::status::not_found, "Invalid page.")};
    const auto catalog = request.thread.catalog.shared(context.data.catalog());
    if (!valid_user(user_id) || !store::is_known_collection(*catalog, course_id)) {
        return fail({error_code::not_found, {}, {}, {}});
    }
    const auto state = aggregate(context, *catalog, user_id, course_id);
    const auto lessons = store::collection_leaves(state.node, false);
    if (!page_exists(*page, lessons.size())) return {detail_response(http::status::not_found, "Invalid page.")};
    boost::json::array results;
    const std::size_t first = (page->page - 1) * page->page_size;
    for (std::size_t i = first; i < lessons.size() && i < first + page->page_size; ++i) {
        const auto* lesson = lessons[i];
        const auto quiz = context.data.assessments().find(user_id, {"", lesson->content_id});
        results.push_back(lesson_to_json(
            {user_id, course_id, lesson, i + 1, state.record(lesson->content_id),
             quiz ? &*quiz : nullptr,
             mint_token(token_kind::lesson_progress, {user_id, course_id, lesson->content_id}, context.progress_token_key)}));
    }
    return {json_response(http::status::ok,
                          page_envelope(lessons.size(), *page, base_url(request), request.query, std::move(results)))};
}

// Applies a lesson write to (user, course, lesson) and answers the lesson's progress. 404 when the
// catalog does not (or no longer) list the lesson as a leaf of the course.
// `prefix` names the object the update's fields came in, for errors ("lesson_progress.").
handler_result write_lesson(services& context, request_context& request, const token_subject& subject,
                            const lesson_update& update, std::string_view prefix) {
    // Before anything is written (the implicit enrolment included): a refused write changes nothing.
    if (auto refused = refuse_completion_times(update, request.now_ms)) {
        return {detail_response(http::status::bad_request, *refused)};
    }
    if (update.touches_quiz()) {
        // Checked against the kept attempt, as score and max_score may come in separate writes.
        field_errors errors;
        const auto quiz = context.data.assessments().find(subject.user_id, {"", subject.lesson_id});
        check_scores(update, quiz ? &*quiz : nullptr, prefix, errors);
        if (!errors.empty()) return invalid(errors);
    }
    const auto catalog = request.thread.catalog.shared(context.data.catalog());
    if (!store::is_known_collection(*catalog, subject.course_id)) return fail({error_code::not_found, {}, {}, {}});
    const auto contents = store::collection_contents(*catalog, subject.course_id);
    if (std::find(contents.begin(), contents.end(), subject.lesson_id) == contents.end() ||
        catalog->has_children(subject.lesson_id)) {
        return fail({error_code::not_found, {}, {}, {}});
    }

    const store::record_key key{"", subject.lesson_id};
    std::uint64_t generation =
        app::ensure_enrolment_with_events(context.data, request.call(), subject.user_id, subject.course_id, "").value_or(0);
    store::record_overwrite write;
    if (update.completes()) {
        // The client's time, not the write's: only services get here (admit), stating when the
        // user completed, e.g. back-filling another system's records (docs/compat-skilljar.md).
        write.status = store::progress_status::completed;
        write.completed_at = completion_time(update);
    }
    if (update.uncompletes()) write.status = store::progress_status::in_progress;
    if (update.custom_data) {
        // custom_data is kept in the record's metadata object, beside what other APIs put there.
        boost::json::object metadata;
        if (auto current = context.data.records().find(subject.user_id, "", subject.lesson_id);
            current && current->annotations && !current->annotations->metadata.empty()) {
            boost::system::error_code ec;
            auto parsed = boost::json::parse(current->annotations->metadata, ec);
            if (!ec && parsed.is_object()) metadata = std::move(parsed.as_object());
        }
        if (update.custom_data->empty()) {
            metadata.erase("custom_data");
        } else {
            metadata["custom_data"] = *update.custom_data;
        }
        write.metadata = metadata.empty() ? std::string() : boost::json::serialize(metadata);
    }
    if (write.status || write.metadata) {
        generation = std::max(generation, app::overwrite_with_events(context.data, request.call(), subject.user_id, key, write).generation);
    }
    if (update.touches_quiz()) {
        auto result = app::update_quiz_with_events(context.data, request.call(), subject.user_id, key, [&](store::assessment_state& state) {
            apply_quiz(state, update, request.now_ms);
        });
        generation = std::max(generation, result.generation.value_or(0));
    }

    const auto state = aggregate(context, *catalog, subject.user_id, subject.course_id);
    const auto lessons = store::collection_leaves(state.node, false);
    const auto at = std::find_if(lessons.begin(), lessons.end(),
                                 [&](const store::node_progress* lesson) { return lesson->content_id == subject.lesson_id; });
    if (at == lessons.end()) return fail({error_code::not_found, {}, {}, {}});
    const auto quiz = context.data.assessments().find(subject.user_id, key);
    auto body = lesson_to_json({subject.user_id, subject.course_id, *at, static_cast<std::size_t>(at - lessons.begin()) + 1,
                                state.record(subject.lesson_id), quiz ? &*quiz : nullptr,
                                mint_token(token_kind::lesson_progress, subject, context.progress_token_key)});
    return finish(context, json_response(http::status::ok, body), generation);
}

handler_result update_user_lesson(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    const token_subject subject{std::string(request.params[0]), std::string(request.params[1]),
                                std::string(request.params[2])};
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    lesson_update update;
    const auto* progress = body.if_contains("lesson_progress");
    if (progress == nullptr) {
        if (request.request.method() == http::verb::put) errors["lesson_progress"].push_back("This field is required.");
    } else if (!progress->is_object()) {
        errors["lesson_progress"].push_back("Invalid data. Expected a dictionary.");
    } else {
        update = parse_lesson_update(progress->as_object(), "lesson_progress.", false, errors);
    }
    if (!errors.empty()) return invalid(errors);
    if (!valid_user(subject.user_id)) return fail({error_code::not_found, {}, {}, {}});
    return write_lesson(context, request, subject, update, "lesson_progress.");
}

// PUT|PATCH /v1/lesson-progress/{id} and /v1/progresstokens/{id}: the id is a signed token.
template <token_kind kind>
handler_result update_by_token(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    const auto update = parse_lesson_update(body, "", kind == token_kind::progress_token, errors);
    if (!errors.empty()) return invalid(errors);
    const auto subject = verify_token(kind, request.params[0], context.progress_token_key);
    if (!subject) return fail({error_code::not_found, {}, {}, {}});
    return write_lesson(context, request, *subject, update, "");
}

handler_result ping(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    return {json_response(http::status::ok, boost::json::object{})};
}

// ---- native: minting tokens (problem+json, docs/native-api.md) -------------------------------

handler_result mint_tokens(services& context, request_context& request) {
    if (auto refused = require_service(*request.principal, "minting progress tokens")) return {write_problem(*refused)};
    boost::json::object body;
    if (auto error = parse_json_object(request.request, body)) return {write_problem(*error)};
    field_reader fields(body);
    auto user_id = fields.id("user_id", true);
    auto course_id = fields.id("course_id", true);
    auto lesson_id = fields.id("lesson_id", true);
    if (!fields.ok()) return {write_problem(fields.error())};
    if (auto loading = refuse_while_loading(context)) return {write_problem(*loading)};
    const auto& catalog = request.thread.catalog.get(context.data.catalog());
    const auto contents = store::is_known_collection(catalog, *course_id) ? store::collection_contents(catalog, *course_id)
                                                                          : std::vector<std::string>{};
    if (std::find(contents.begin(), contents.end(), *lesson_id) == contents.end() || catalog.has_children(*lesson_id)) {
        return {write_problem(api_error::field(error_code::not_found, "lesson_id", "is not a lesson of the course"))};
    }
    const token_subject subject{*user_id, *course_id, *lesson_id};
    return {json_response(http::status::created,
                          boost::json::object{
                              {"progress_token_id", mint_token(token_kind::progress_token, subject, context.progress_token_key)},
                              {"lesson_progress_id", mint_token(token_kind::lesson_progress, subject, context.progress_token_key)},
                              {"user_id", subject.user_id},
                              {"course_id", subject.course_id},
                              {"lesson_id", subject.lesson_id},
                          })};
}

}  // namespace
}  // namespace progressd::skilljar

namespace progressd {

void register_skilljar_routes(router& routes, services& context) {
    using namespace skilljar;
    const route_options options{.write_error = skilljar::write_error};
    routes.add(http::verb::get, "/v1/ping", bind_handler(context, ping), options);
    routes.add(http::verb::get, "/v1/users/{user_id}/published-courses", bind_handler(context, list_courses), options);
    for (auto verb : {http::verb::put, http::verb::patch}) {
        routes.add(verb, "/v1/users/{user_id}/published-courses/{course_id}", bind_handler(context, update_course),
                   options);
        routes.add(verb, "/v1/users/{user_id}/published-courses/{course_id}/lessons/{lesson_id}",
                   bind_handler(context, update_user_lesson), options);
        routes.add(verb, "/v1/lesson-progress/{lesson_progress_id}",
                   bind_handler(context, update_by_token<token_kind::lesson_progress>), options);
        routes.add(verb, "/v1/progresstokens/{progress_token_id}",
                   bind_handler(context, update_by_token<token_kind::progress_token>), options);
    }
    routes.add(http::verb::get, "/v1/users/{user_id}/published-courses/{course_id}/lessons",
               bind_handler(context, list_lessons), options);
    register_enrollment_routes(routes, context, options);
    register_webhook_routes(routes, context, options);
    routes.add(http::verb::post, "/v1/progress-tokens", bind_handler(context, mint_tokens));
    // What no route answers under the family's resources (404, 405) is DRF's too. Beside the
    // native API's /v1/users/{user_id}/… only published-courses is Skilljar's.
    for (const auto* prefix : {"/v1/ping", "/v1/users/{user_id}/published-courses", "/v1/lesson-progress",
                               "/v1/progresstokens", "/v1/domains", "/v1/webhooks"}) {
        routes.add_family_prefix(prefix, skilljar::write_error);
    }
}

}  // namespace progressd
