// Education Progress API (docs/compat-education.md): an adapter over the store, the
// catalog and the aggregation. A course is a collection of the catalog, its lessons are the
// collection's leaves, and a lesson's record is the user's record of that content in the
// organic context (or ?context_id=). The mapping lives in education_mapping.*; this file adapts
// HTTP and writes FastAPI's error bodies.

#include "app/progress_events.hpp"
#include "handlers/access.hpp"
#include "handlers/compat/education/education_mapping.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"
#include "store/ids.hpp"
#include "store/user_collection.hpp"

#include <boost/json/parse.hpp>


namespace progressd {
namespace {

http_response detail_response(http::status status, std::string_view detail) {
    return json_response(status, boost::json::object{{"detail", detail}});
}

http_response validation_response(const std::vector<education::validation_error>& errors) {
    return json_response(http::status::unprocessable_entity, education::validation_body(errors));
}

// The family's error writer: FastAPI's shapes. Validation problems found by shared code (the
// subject's user_id, the context) become 422 detail entries located in the query.
http_response write_education_error(const api_error& error) {
    switch (error.code) {
        case error_code::validation: {
            std::vector<education::validation_error> errors;
            for (const auto& field : error.errors) {
                errors.push_back({boost::json::array{"query", field.field}, "Value error, " + field.message,
                                  field.message.find("required") != std::string::npos ? "missing" : "value_error",
                                  nullptr, boost::json::object{{"error", field.message}}});
            }
            if (errors.empty()) errors.push_back({boost::json::array{"query"}, error.detail, "value_error", nullptr, {}});
            return validation_response(errors);
        }
        case error_code::malformed_json: {
            const std::string reason = error.errors.empty() ? error.detail : error.errors.front().message;
            return validation_response({{boost::json::array{"body", 0}, "JSON decode error", "json_invalid",
                                         boost::json::object{}, boost::json::object{{"error", reason}}}});
        }
        case error_code::missing_credentials: {
            auto response = detail_response(http::status::unauthorized, "Not authenticated");
            response.set(http::field::www_authenticate, "Bearer");
            return response;
        }
        case error_code::invalid_credentials: {
            auto response = detail_response(http::status::unauthorized, "Invalid authentication credentials");
            response.set(http::field::www_authenticate, "Bearer");
            return response;
        }
        // Starlette's text; the router sends Allow.
        case error_code::method_not_allowed:
            return detail_response(http::status::method_not_allowed, "Method Not Allowed");
        default:
            return detail_response(static_cast<http::status>(status_of(error.code)),
                                   error.detail.empty() ? "Error" : std::string_view(error.detail));
    }
}

// For paths under the family's prefix that no route matches: Starlette's router answers an unknown
// path {"detail": "Not Found"}, where the handlers' 404s name what is missing ("Course not found").
http_response write_education_unmatched(const api_error& error) {
    if (error.code == error_code::not_found) return detail_response(http::status::not_found, "Not Found");
    return write_education_error(error);
}

http_response not_durable() {
    return detail_response(http::status::service_unavailable, "the write could not be made durable; retry later");
}

handler_result fail(const api_error& error) { return {write_education_error(error)}; }

// Who the request acts on and in which context: a user token acts on itself; a service names the
// user in ?user_id= (the document has only user tokens; services are our extension).
struct scope {
    std::string user_id;
    std::string context_id;
};

std::optional<api_error> read_scope(const request_context& request, scope& out) {
    auto context_id = query_param(request.query, "context_id").value_or("");
    if (!store::is_valid_context_id(context_id)) {
        return api_error::field(error_code::validation, "context_id", "must be empty or a valid id");
    }
    out.context_id = std::move(context_id);
    return resolve_subject(*request.principal, query_param(request.query, "user_id"), "user_id", out.user_id);
}

// Validates the UUID path parameters named in `names` (in order), canonicalizing them.
std::vector<education::validation_error> read_uuids(const request_context& request,
                                                    std::initializer_list<std::string_view> names,
                                                    std::vector<std::string>& out) {
    std::vector<education::validation_error> errors;
    std::size_t index = 0;
    for (auto name : names) {
        std::string reason;
        auto canonical = education::canonical_uuid(request.params[index], reason);
        if (canonical) {
            out.push_back(std::move(*canonical));
        } else {
            errors.push_back(education::uuid_error("path", name, request.params[index], reason));
            out.emplace_back();
        }
        ++index;
    }
    return errors;
}

// The user's aggregate of the course, or nullopt when the catalog knows no such collection.
std::optional<store::user_collection> view_course(services& context, thread_context& thread, const scope& subject,
                                           std::string_view course_id) {
    const auto snapshot = thread.catalog.shared(context.data.catalog());
    if (!store::is_known_collection(*snapshot, course_id)) return std::nullopt;
    return store::aggregate_user_collection(context.data.records(), *snapshot, subject.user_id, subject.context_id, course_id);
}

handler_result get_course_progress(services& context, request_context& request) {
    std::vector<std::string> ids;
    if (auto errors = read_uuids(request, {"course_id"}, ids); !errors.empty()) return {validation_response(errors)};
    scope subject;
    if (auto error = read_scope(request, subject)) return fail(*error);
    if (auto loading = refuse_while_loading(context)) return fail(*loading);
    auto view = view_course(context, request.thread, subject, ids[0]);
    if (!view) return {detail_response(http::status::not_found, "Course not found")};

    boost::json::array lessons;
    for (const auto* lesson : store::collection_leaves(view->node, false)) {
        const auto* record = view->record(lesson->content_id);
        if (record == nullptr) continue;  // lessons never touched have no record
        const store::record_key key{subject.context_id, lesson->content_id};
        const auto quiz = context.data.assessments().find(subject.user_id, key);
        lessons.push_back(education::lesson_to_json({subject.user_id, ids[0], lesson->content_id}, *record,
                                                    quiz ? &*quiz : nullptr));
    }
    return {json_response(http::status::ok, lessons)};
}

handler_result get_course_summary(services& context, request_context& request) {
    std::vector<std::string> ids;
    if (auto errors = read_uuids(request, {"course_id"}, ids); !errors.empty()) return {validation_response(errors)};
    scope subject;
    if (auto error = read_scope(request, subject)) return fail(*error);
    if (auto loading = refuse_while_loading(context)) return fail(*loading);
    auto view = view_course(context, request.thread, subject, ids[0]);
    if (!view) return {detail_response(http::status::not_found, "Course not found")};
    return {json_response(http::status::ok, education::summary_to_json(ids[0], view->node))};
}

handler_result put_lesson_progress(services& context, request_context& request) {
    std::vector<std::string> ids;
    auto errors = read_uuids(request, {"course_id", "lesson_id"}, ids);

    // FastAPI validates the path and the body together and reports both.
    education::lesson_update update;
    if (request.request.body().empty()) {
        errors.push_back({boost::json::array{"body"}, "Field required", "missing", nullptr, {}});
    } else {
        boost::json::value body;
        if (auto error = parse_json_body(request.request, body)) {
            if (error->code != error_code::malformed_json) return fail(*error);
            const std::string reason = error->errors.empty() ? error->detail : error->errors.front().message;
            errors.push_back({boost::json::array{"body", 0}, "JSON decode error", "json_invalid", boost::json::object{},
                              boost::json::object{{"error", reason}}});
        } else {
            update = education::parse_lesson_update(body, errors);
        }
    }
    if (!errors.empty()) return {validation_response(errors)};

    scope subject;
    if (auto error = read_scope(request, subject)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    {
        const auto& catalog = request.thread.catalog.get(context.data.catalog());
        if (!store::is_known_collection(catalog, ids[0])) {
            return {detail_response(http::status::not_found, "Course not found")};
        }
        const auto contents = store::collection_contents(catalog, ids[0]);
        const bool listed = std::find(contents.begin(), contents.end(), ids[1]) != contents.end();
        if (!listed || catalog.has_children(ids[1])) {
            return {detail_response(http::status::not_found, "Lesson not found in this course")};
        }
    }

    const store::record_key key{subject.context_id, ids[1]};
    auto written = app::overwrite_with_events(context.data, request.call(), subject.user_id, key, update.record);
    std::uint64_t generation = written.generation;
    std::optional<store::assessment_state> quiz;
    if (update.quiz.any()) {
        auto result = app::update_quiz_with_events(context.data, request.call(), subject.user_id, key, [&](store::assessment_state& state) {
            store::overwrite_quiz(state, update.quiz, request.now_ms);
        });
        quiz = std::move(result.state);
        generation = std::max(generation, result.generation.value_or(0));
    } else {
        quiz = context.data.assessments().find(subject.user_id, key);
    }

    handler_result result{json_response(
        http::status::ok,
        education::lesson_to_json({subject.user_id, ids[0], ids[1]}, written.record, quiz ? &*quiz : nullptr))};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        result.durable_generation = waits_for;
        result.not_durable = not_durable;
    }
    return result;
}

}  // namespace

void register_education_routes(router& routes, services& context) {
    const route_options options{.write_error = write_education_error};
    routes.add(http::verb::get, "/api/v1/education/progress/{course_id}", bind_handler(context, get_course_progress),
               options);
    routes.add(http::verb::get, "/api/v1/education/progress/{course_id}/summary",
               bind_handler(context, get_course_summary), options);
    routes.add(http::verb::put, "/api/v1/education/progress/{course_id}/lessons/{lesson_id}",
               bind_handler(context, put_lesson_progress), options);
    routes.add_family_prefix("/api/v1/education", write_education_unmatched);
}

}  // namespace progressd
