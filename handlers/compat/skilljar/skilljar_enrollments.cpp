// Skilljar published-course enrollments (docs/compat-skilljar.md, "Decisions"), over the
// enrolment store. The domain in the path is accepted and ignored: progressd has one catalog.
//
// Skilljar lets a user hold several enrollments in one course and makes create idempotent on
// (user.id, enrolled_at). progressd keys enrolments by (user, course, context), so the first
// explicit enrollment of a user in a course is the organic one (context "") and each further one,
// with another enrolled_at, lives in the context "enrolled-<enrolled_at ms>". That makes a
// repeated create land on the same key even when two of them race.

#include "app/progress_events.hpp"
#include "handlers/compat/skilljar/skilljar_family.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/aggregate.hpp"

namespace progressd::skilljar {
namespace {

std::optional<api_error> known_course(services& context, request_context& request) {
    const auto& catalog = request.thread.catalog.get(context.data.catalog());
    if (!store::is_known_collection(catalog, request.params[1])) return api_error{error_code::not_found, {}, {}, {}};
    return std::nullopt;
}

handler_result list_enrollments(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const auto page = read_page(request, 1000, true);
    if (!page) return {detail_response(http::status::not_found, "Invalid page.")};
    if (auto error = known_course(context, request)) return fail(*error);
    // A cluster node holds only the users of its own partitions: a list from its memory would
    // silently miss the others' (docs/cluster.md, "Any node answers any request").
    if (context.data.cluster() != nullptr) {
        return {detail_response(http::status::not_implemented,
                                "Listing a course's enrollments spans every node of a cluster: read them from "
                                "PostgreSQL's enrolments table (docs/cluster.md).")};
    }
    const auto members = context.data.enrolments().list_collection(request.params[1]);
    if (!page_exists(*page, members.size())) return {detail_response(http::status::not_found, "Invalid page.")};
    boost::json::array results;
    const std::size_t first = (page->page - 1) * page->page_size;
    for (std::size_t i = first; i < members.size() && i < first + page->page_size; ++i) {
        results.push_back(enrollment_to_json(members[i].user_id, members[i].context_id, members[i].value));
    }
    return {json_response(http::status::ok,
                          page_envelope(members.size(), *page, base_url(request), request.query, std::move(results)))};
}

handler_result create_enrollment(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    const auto create = parse_enrollment_create(body, errors);
    if (!errors.empty()) return invalid(errors);
    if (auto error = known_course(context, request)) return fail(*error);
    const std::string course_id(request.params[1]);
    const std::int64_t enrolled_at = create.enrolled_at.value_or(request.now_ms);

    // Idempotent: an enrollment of this user in this course with this enrolled_at is the answer.
    bool organic_taken = false;
    for (const auto& [key, value] : context.data.enrolments().list_user(create.user_id)) {
        if (key.collection_id != course_id) continue;
        if (value.enrolled_at == enrolled_at && !value.implicit) {
            return {json_response(http::status::ok, enrollment_to_json(create.user_id, key.context_id, value))};
        }
        if (key.context_id.empty() && !value.implicit) organic_taken = true;
    }
    // An implicit enrolment (made by progress) becomes this explicit one.
    const std::string context_id = organic_taken ? enrollment_context(enrolled_at) : std::string();
    const auto written = app::put_enrolment_with_events(context.data, request.call(), create.user_id, {course_id, context_id},
                                                   {enrolled_at, create.expires_at, create.active});
    return finish(context,
                  json_response(http::status::created, enrollment_to_json(create.user_id, context_id, written.stored)),
                  written.generation);
}

handler_result read_enrollment(services& context, request_context& request) {
    if (auto error = admit(context, request, false)) return fail(*error);
    const auto id = parse_enrollment_id(request.params[2]);
    if (!id) return fail({error_code::not_found, {}, {}, {}});
    const auto found = context.data.enrolments().find(id->first, request.params[1], id->second);
    if (!found) return fail({error_code::not_found, {}, {}, {}});
    return {json_response(http::status::ok, enrollment_to_json(id->first, id->second, *found))};
}

handler_result update_enrollment(services& context, request_context& request) {
    if (auto error = admit(context, request, true)) return fail(*error);
    boost::json::object body;
    if (auto error = read_object(request, body)) return fail(*error);
    field_errors errors;
    const auto update = parse_enrollment_update(body, errors);
    if (!errors.empty()) return invalid(errors);
    const auto id = parse_enrollment_id(request.params[2]);
    if (!id || !context.data.enrolments().find(id->first, request.params[1], id->second)) {
        return fail({error_code::not_found, {}, {}, {}});
    }
    const auto written =
        app::put_enrolment_with_events(context.data, request.call(), id->first, {std::string(request.params[1]), id->second}, update);
    return finish(context, json_response(http::status::ok, enrollment_to_json(id->first, id->second, written.stored)),
                  written.generation);
}

}  // namespace

void register_enrollment_routes(router& routes, services& context, const route_options& options) {
    const std::string_view list = "/v1/domains/{domain}/published-courses/{course_id}/enrollments";
    const std::string_view one = "/v1/domains/{domain}/published-courses/{course_id}/enrollments/{enrollment_id}";
    routes.add(http::verb::get, list, bind_handler(context, list_enrollments), options);
    routes.add(http::verb::post, list, bind_handler(context, create_enrollment), options);
    routes.add(http::verb::get, one, bind_handler(context, read_enrollment), options);
    routes.add(http::verb::put, one, bind_handler(context, update_enrollment), options);
    routes.add(http::verb::patch, one, bind_handler(context, update_enrollment), options);
}

}  // namespace progressd::skilljar
