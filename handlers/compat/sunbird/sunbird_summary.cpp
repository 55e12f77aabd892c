// Sunbird viewer summaries (docs/compat-sunbird.md): the user's enrolments, each with
// its collection from the catalog, the aggregate of the user's progress in it, the contents'
// statuses and the best assessment scores; their download as CSV or JSON from a URL this server
// serves; and deleting one or all enrolments.

#include "handlers/access.hpp"
#include "handlers/compat/sunbird/sunbird_call.hpp"
#include "handlers/compat/sunbird/sunbird_mapping.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"
#include "store/ids.hpp"

#include <boost/json/serialize.hpp>

#include <unordered_map>
#include <unordered_set>

namespace progressd {
namespace {

using sunbird::call;
using sunbird::field_errors;

constexpr std::string_view file_suffix = "_viewer_summary.";

// One enrolment's summary, read from the catalog, the store and the assessments.
boost::json::object build_summary(services& context, thread_context& thread, std::string_view user_id,
                                  const store::enrolment_key& key, const store::enrolment& value,
                                  const std::vector<std::pair<store::record_key, store::assessment_state>>& quizzes) {
    const auto snapshot = thread.catalog.shared(context.data.catalog());
    const bool known = store::is_known_collection(*snapshot, key.collection_id);
    const auto ids = known ? store::collection_contents(*snapshot, key.collection_id) : std::vector<std::string>{};
    auto found = context.data.records().find_many(user_id, key.context_id, ids);

    std::unordered_map<std::string, store::progress_record> records;
    std::vector<std::pair<std::string, store::progress_status>> statuses;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!found[i]) continue;
        statuses.emplace_back(ids[i], found[i]->status);
        records.emplace(ids[i], std::move(*found[i]));
    }
    std::optional<store::node_progress> course;
    if (known) {
        course = store::aggregate_collection(*snapshot, key.collection_id, [&](std::string_view id) {
            auto record = records.find(std::string(id));
            return record == records.end() ? nullptr : &record->second;
        });
    }
    const std::unordered_set<std::string> members(ids.begin(), ids.end());
    std::vector<sunbird::quiz_status> best;
    for (const auto& [quiz_key, state] : quizzes) {
        if (quiz_key.context_id != key.context_id || !members.contains(quiz_key.content_id)) continue;
        best.push_back(sunbird::best_of(quiz_key.content_id, state));
    }
    return sunbird::summary_to_json(user_id, key, value, snapshot->find(key.collection_id),
                                    course ? &*course : nullptr, statuses, best);
}

boost::json::array user_summaries(services& context, thread_context& thread, std::string_view user_id) {
    const auto quizzes = context.data.assessments().list_user(user_id);
    boost::json::array summaries;
    for (const auto& [key, value] : context.data.enrolments().list_user(user_id)) {
        summaries.push_back(build_summary(context, thread, user_id, key, value, quizzes));
    }
    return summaries;
}

// The path's userId must be the token's user (a service may name anyone).
std::optional<api_error> path_user(const request_context& request, std::string& user_id) {
    return sunbird::read_user(request, std::string(request.params[0]), "userId", user_id);
}

handler_result summary_list(services& context, request_context& request) {
    call current{"api.summary.list", nullptr, request.now_ms};
    std::string user_id;
    if (auto error = path_user(request, user_id)) return current.fail(*error);
    if (auto loading = refuse_while_loading(context)) return current.fail(*loading);
    return current.ok(context, boost::json::object{{"summary", user_summaries(context, request.thread, user_id)}});
}

// {userId?, collectionId, contextId} of summary/read and summary/delete (contextId may be "":
// an enrolment outside any batch).
struct enrolment_ref {
    std::string user_id;
    store::enrolment_key key;
};

std::optional<api_error> read_enrolment_ref(const request_context& request, const boost::json::object& inner,
                                            enrolment_ref& out, std::optional<std::string> path_user_id) {
    std::vector<field_error> errors;
    const auto* collection = inner.if_contains("collectionId");
    if (!collection || !collection->is_string() || collection->get_string().empty()) {
        errors.push_back({"request.collectionId", "Collection Id cannot be empty"});
    } else if (!store::is_valid_id(collection->get_string())) {
        errors.push_back({"request.collectionId", "Invalid Collection Id"});
    } else {
        out.key.collection_id = std::string(collection->get_string());
    }
    const auto* batch = inner.if_contains("contextId");
    if (!batch || !batch->is_string()) {
        errors.push_back({"request.contextId", "Context Id cannot be empty"});
    } else if (!store::is_valid_context_id(batch->get_string())) {
        errors.push_back({"request.contextId", "Invalid Context Id"});
    } else {
        out.key.context_id = std::string(batch->get_string());
    }
    if (!errors.empty()) return field_errors(std::move(errors));
    auto requested = sunbird::string_field(&inner, "userId");
    if (path_user_id) {
        if (requested && *requested != *path_user_id) {
            return api_error::field(error_code::validation, "request.userId", "User Id does not match the path");
        }
        requested = std::move(path_user_id);
    }
    return sunbird::read_user(request, requested, "request.userId", out.user_id);
}

handler_result summary_read(services& context, request_context& request) {
    call current{"api.summary.read", nullptr, request.now_ms};
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner)) return current.fail(*error);
    enrolment_ref ref;
    if (auto error = read_enrolment_ref(request, *inner, ref, std::nullopt)) return current.fail(*error);
    if (auto loading = refuse_while_loading(context)) return current.fail(*loading);
    const auto found = context.data.enrolments().find(ref.user_id, ref.key.collection_id, ref.key.context_id);
    if (!found) return current.fail({error_code::not_found, "Enrolment not found", {}, {}});
    const auto quizzes = context.data.assessments().list_user(ref.user_id);
    return current.ok(context, build_summary(context, request.thread, ref.user_id, ref.key, *found, quizzes));
}

handler_result summary_download(services& context, request_context& request) {
    call current{"api.summary.download", nullptr, request.now_ms};
    std::string user_id;
    if (auto error = path_user(request, user_id)) return current.fail(*error);
    const auto format = query_param(request.query, "format").value_or("csv");
    if (format != "csv" && format != "json") {
        return current.fail(api_error::field(error_code::validation, "format", "Format must be csv or json"));
    }
    // The file is made when fetched, from the data then: nothing is stored, nothing expires.
    std::string url;
    if (const auto host = request.request[http::field::host]; !host.empty()) {
        url = "http://" + std::string(host);
    }
    url += "/v1/summary/file/" + user_id + std::string(file_suffix) + format;
    return current.ok(context, boost::json::object{{"url", std::move(url)}});
}

// GET /v1/summary/file/{userId}_viewer_summary.{csv|json}: the file download's URL names.
handler_result summary_file(services& context, request_context& request) {
    call current{"api.summary.download", nullptr, request.now_ms};
    const std::string_view name = request.params[0];
    const auto at = name.rfind(file_suffix);
    const auto format = at == std::string_view::npos ? std::string_view{} : name.substr(at + file_suffix.size());
    if (at == std::string_view::npos || (format != "csv" && format != "json")) {
        return current.fail({error_code::not_found, "No such file", {}, {}});
    }
    std::string user_id;
    if (auto error = sunbird::read_user(request, std::string(name.substr(0, at)), "userId", user_id)) {
        return current.fail(*error);
    }
    if (auto loading = refuse_while_loading(context)) return current.fail(*loading);
    const auto summaries = user_summaries(context, request.thread, user_id);
    http_response response{http::status::ok, 11};
    if (format == "json") {
        response.set(http::field::content_type, "application/json");
        response.body() = boost::json::serialize(summaries);
    } else {
        response.set(http::field::content_type, "text/csv; charset=utf-8; header=present");
        response.body() = sunbird::summaries_to_csv(summaries);
    }
    response.set(http::field::content_disposition, "attachment; filename=\"" + std::string(name) + "\"");
    response.prepare_payload();
    return {std::move(response)};
}

// DELETE /v1/summary/delete/{userId}?all, or with {userId, collectionId, contextId}. Deletes
// enrolments only: the progress made stays (it may belong to other enrolments or contexts).
handler_result summary_delete(services& context, request_context& request) {
    call current{"api.summary.delete", nullptr, request.now_ms};
    const bool all = query_param(request.query, "all").has_value();
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner, !all)) return current.fail(*error);
    std::string user_id;
    std::uint64_t generation = 0;
    if (all) {
        if (auto error = path_user(request, user_id)) return current.fail(*error);
        if (auto refused = refuse_if_unwritable(context)) return current.fail(*refused);
        for (const auto& [key, value] : context.data.enrolments().list_user(user_id)) {
            generation = std::max(generation,
                                  context.data.enrolments().erase(user_id, key.collection_id, key.context_id).value_or(0));
        }
    } else {
        enrolment_ref ref;
        if (auto error = read_enrolment_ref(request, *inner, ref, std::string(request.params[0]))) {
            return current.fail(*error);
        }
        if (auto refused = refuse_if_unwritable(context)) return current.fail(*refused);
        user_id = ref.user_id;
        // Idempotent: deleting an enrolment that is not there succeeds (a retry is safe).
        generation = context.data.enrolments().erase(user_id, ref.key.collection_id, ref.key.context_id).value_or(0);
    }
    return current.ok(context, boost::json::object{{user_id, "Enrolment Deleted Succesfully"}}, generation);
}

namespace ids {
inline constexpr char list[] = "api.summary.list";
inline constexpr char read[] = "api.summary.read";
inline constexpr char download[] = "api.summary.download";
inline constexpr char remove[] = "api.summary.delete";
}  // namespace ids

}  // namespace

void register_sunbird_summary_routes(router& routes, services& context) {
    using sunbird::write_error;
    routes.add(http::verb::get, "/v1/summary/list/{userId}", bind_handler(context, summary_list),
               {.write_error = write_error<ids::list>});
    routes.add(http::verb::post, "/v1/summary/read", bind_handler(context, summary_read),
               {.write_error = write_error<ids::read>});
    routes.add(http::verb::get, "/v1/summary/download/{userId}", bind_handler(context, summary_download),
               {.write_error = write_error<ids::download>});
    routes.add(http::verb::get, "/v1/summary/file/{name}", bind_handler(context, summary_file),
               {.write_error = write_error<ids::download>});
    routes.add(http::verb::delete_, "/v1/summary/delete/{userId}", bind_handler(context, summary_delete),
               {.write_error = write_error<ids::remove>});
}

}  // namespace progressd
