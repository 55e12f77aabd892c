// Sunbird Viewer Service (docs/compat-sunbird.md): an adapter over the store, the
// catalog, the enrolments and the assessments. A view call is a ping (start, update, end →
// complete), so Sunbird progress obeys the same merge rules as the native API's; summaries are
// the user's enrolments with the catalog's aggregate of their collection. The mapping lives in
// sunbird_mapping.*; this file adapts HTTP and writes the family's envelope.

#include "app/progress_events.hpp"
#include "app/record_ping.hpp"
#include "handlers/access.hpp"
#include "handlers/compat/sunbird/sunbird_call.hpp"
#include "handlers/compat/sunbird/sunbird_mapping.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"
#include "store/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <set>
#include <unordered_map>

namespace progressd {
namespace sunbird {

http_response envelope_error(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                             const api_error& error) {
    const auto failed = failure_for(error);
    auto response =
        json_response(static_cast<http::status>(failed.http_status), failure_envelope(api_id, msgid, now_ms, failed));
    if (!error.allow.empty()) response.set(http::field::allow, error.allow);
    return response;
}

http_response write_error_now(std::string_view api_id, const api_error& error) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return envelope_error(api_id, nullptr, now, error);
}

api_error field_errors(std::vector<field_error> errors) {
    std::string detail = errors.front().message;
    return {error_code::validation, std::move(detail), std::move(errors), {}};
}

namespace {
http_response not_durable() {
    return write_error_now("api.view", {error_code::unavailable, "the write could not be made durable; retry later",
                                        {}, {}});
}
}  // namespace

handler_result call::fail(const api_error& error) const { return {envelope_error(api_id, msgid, now_ms, error)}; }

handler_result call::ok(const services& context, boost::json::value result, std::uint64_t generation) const {
    handler_result answer{
        json_response(http::status::ok, success_envelope(api_id, msgid, now_ms, std::move(result)))};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        answer.durable_generation = waits_for;
        answer.not_durable = not_durable;
    }
    return answer;
}

std::optional<api_error> read_call(const request_context& request, boost::json::object& body, call& current,
                                   const boost::json::object*& inner, bool require_request) {
    if (!require_request && request.request.body().empty()) return std::nullopt;
    if (auto error = parse_json_object(request.request, body)) return error;
    auto in = read_envelope(body);
    current.msgid = in.msgid;
    inner = in.request;
    if (!inner && require_request) {
        return api_error::field(error_code::validation, "request", "Request cannot be empty");
    }
    return std::nullopt;
}

std::optional<std::string> string_field(const boost::json::object* inner, std::string_view name) {
    if (!inner) return std::nullopt;
    if (const auto* value = inner->if_contains(name); value && value->is_string()) {
        return std::string(value->get_string());
    }
    return std::nullopt;
}

std::optional<api_error> read_user(const request_context& request, std::optional<std::string> requested,
                                   std::string_view field, std::string& user_id) {
    return resolve_subject(*request.principal, requested, field, user_id);
}

}  // namespace sunbird

namespace {

using sunbird::call;
using sunbird::field_errors;
using sunbird::view_call;

constexpr std::size_t max_read_contents = 10000;  // ?context=all answers at most this many
constexpr double default_pass_percent = 50;

std::optional<api_error> read_user(const request_context& request, const boost::json::object* inner,
                                   std::string& user_id) {
    return sunbird::read_user(request, sunbird::string_field(inner, "userId"), "request.userId", user_id);
}

handler_result view(services& context, request_context& request, view_call kind, std::string_view api_id,
                    std::string_view answer) {
    call current{api_id, nullptr, request.now_ms};
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner)) return current.fail(*error);
    std::vector<field_error> errors;
    const auto parsed = sunbird::parse_view(*inner, kind, errors);
    if (!errors.empty()) return current.fail(field_errors(std::move(errors)));
    std::string user_id;
    if (auto error = read_user(request, inner, user_id)) return current.fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return current.fail(*refused);

    auto ping = sunbird::to_ping(parsed, kind);
    sunbird::key_by_msgid(ping, kind, current.msgid);
    const auto generation = app::record_ping(context.data, request.call(), user_id, ping).generation;
    return current.ok(context, boost::json::object{{parsed.content_id, answer}}, generation);
}

handler_result view_start(services& context, request_context& request) {
    return view(context, request, view_call::start, "api.view.start", "Progress started");
}
handler_result view_update(services& context, request_context& request) {
    return view(context, request, view_call::update, "api.view.update", "Progress Updated");
}
handler_result view_end(services& context, request_context& request) {
    return view(context, request, view_call::end, "api.view.end", "Progress ended");
}

// contentId or contentIds[], validated; appends errors.
std::vector<std::string> read_content_ids(const boost::json::object& inner, std::vector<field_error>& errors) {
    std::vector<std::string> ids;
    if (const auto* one = inner.if_contains("contentId"); one && !one->is_null()) {
        if (!one->is_string() || !store::is_valid_id(one->get_string())) {
            errors.push_back({"request.contentId", "Invalid Content Id"});
        } else {
            ids.emplace_back(one->get_string());
        }
    }
    if (const auto* many = inner.if_contains("contentIds"); many && !many->is_null()) {
        if (!many->is_array() || many->as_array().size() > 1000) {
            errors.push_back({"request.contentIds", "Content Ids must be an array of at most 1000 ids"});
            return ids;
        }
        for (const auto& id : many->as_array()) {
            if (!id.is_string() || !store::is_valid_id(id.get_string())) {
                errors.push_back({"request.contentIds", "Invalid Content Id"});
                return ids;
            }
            ids.emplace_back(id.get_string());
        }
    }
    return ids;
}

std::string read_optional_id(const boost::json::object& inner, std::string_view name, std::string_view label,
                             std::vector<field_error>& errors) {
    const auto* value = inner.if_contains(name);
    if (!value || value->is_null()) return {};
    if (!value->is_string() || (!value->get_string().empty() && !store::is_valid_id(value->get_string()))) {
        errors.push_back({"request." + std::string(name), "Invalid " + std::string(label)});
        return {};
    }
    return std::string(value->get_string());
}

handler_result view_read(services& context, request_context& request) {
    const bool all = query_param(request.query, "context").value_or("") == "all";
    call current{all ? "api.view.read.contextall" : "api.view.read", nullptr, request.now_ms};
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner)) return current.fail(*error);
    std::vector<field_error> errors;
    auto ids = read_content_ids(*inner, errors);
    const auto collection_id = read_optional_id(*inner, "collectionId", "Collection Id", errors);
    const auto context_id = read_optional_id(*inner, "contextId", "Context Id", errors);
    if (errors.empty() && ids.empty() && !all) errors.push_back({"request.contentId", "Content Id cannot be empty"});
    if (!errors.empty()) return current.fail(field_errors(std::move(errors)));
    std::string user_id;
    if (auto error = read_user(request, inner, user_id)) return current.fail(*error);
    if (auto loading = refuse_while_loading(context)) return current.fail(*loading);

    // The collection of each content: the one the request names, else the catalog's parent.
    const auto& catalog = request.thread.catalog.get(context.data.catalog());
    auto collection_of = [&](std::string_view content_id) -> boost::json::value {
        if (!collection_id.empty()) return boost::json::string(collection_id);
        if (auto parent = catalog.parent_of(content_id)) return boost::json::string(*parent);
        return nullptr;
    };
    boost::json::array contents;
    if (all) {
        const std::set<std::string, std::less<>> wanted(ids.begin(), ids.end());
        for (std::size_t offset = 0; contents.size() < max_read_contents;) {
            auto page = context.data.records().list_user(user_id, offset, 1000);
            for (const auto& [key, record] : page.records) {
                if (!wanted.empty() && !wanted.contains(key.content_id)) continue;
                if (contents.size() < max_read_contents) {
                    contents.push_back(sunbird::content_to_json(user_id, key.context_id, key.content_id,
                                                                collection_of(key.content_id), record));
                }
            }
            offset += page.records.size();
            if (page.records.empty() || offset >= page.total) break;
        }
    } else {
        const auto found = context.data.records().find_many(user_id, context_id, ids);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (!found[i]) continue;
            contents.push_back(sunbird::content_to_json(user_id, context_id, ids[i], collection_of(ids[i]), *found[i]));
        }
    }
    boost::json::object result{{"userId", user_id}};
    if (ids.size() == 1) result["contentId"] = ids.front();
    result["type"] = all ? "contextall" : "content";
    result["contents"] = std::move(contents);
    return current.ok(context, std::move(result));
}

double pass_percent(const store::content_entry* entry) {
    if (!entry || entry->attributes.empty()) return default_pass_percent;
    boost::system::error_code ec;
    const auto attributes = boost::json::parse(entry->attributes, ec);
    if (ec || !attributes.is_object()) return default_pass_percent;
    const auto* value = attributes.as_object().if_contains("pass_percent");
    if (!value || !value->is_number()) return default_pass_percent;
    const double percent = value->to_number<double>();
    return percent >= 0 && percent <= 100 ? percent : default_pass_percent;
}

std::string required_id(const boost::json::object& inner, std::string_view name, std::string_view label,
                        std::vector<field_error>& errors) {
    const auto* value = inner.if_contains(name);
    if (!value || value->is_null() || (value->is_string() && value->get_string().empty())) {
        errors.push_back({"request." + std::string(name), std::string(label) + " cannot be empty"});
        return {};
    }
    return read_optional_id(inner, name, label, errors);
}

handler_result assessment_submit(services& context, request_context& request) {
    call current{"api.assess.submit", nullptr, request.now_ms};
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner)) return current.fail(*error);
    std::vector<field_error> errors;
    const auto content_id = required_id(*inner, "contentId", "Content Id", errors);
    const auto collection_id = required_id(*inner, "collectionId", "Collection Id", errors);
    const auto context_id = required_id(*inner, "contextId", "Context Id", errors);
    const auto attempt_id = required_id(*inner, "attemptId", "Attempt Id", errors);
    std::vector<store::item_result> items;
    if (const auto* events = inner->if_contains("assessments"); !events) {
        errors.push_back({"request.assessments", "Assessments cannot be empty"});
    } else {
        std::string reason;
        auto parsed = sunbird::assess_items(*events, reason);
        if (!parsed) {
            errors.push_back({"request.assessments", reason});
        } else {
            items = std::move(*parsed);
        }
    }
    if (!errors.empty()) return current.fail(field_errors(std::move(errors)));
    std::string user_id;
    if (auto error = read_user(request, inner, user_id)) return current.fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return current.fail(*refused);

    const auto totals = store::score_items(items);
    store::assessment_attempt attempt{attempt_id, totals.score, totals.max_score, request.now_ms, false};
    const double percent = pass_percent(request.thread.catalog.get(context.data.catalog()).find(content_id));
    attempt.passed = attempt.max_score > 0 && attempt.score / attempt.max_score * 100 >= percent;
    const store::record_key key{context_id, content_id};
    const auto submitted = app::submit_attempt_with_events(context.data, request.call(), user_id, key, attempt);

    // The assessed content's record: started by any attempt, completed once one has passed.
    store::ping ping;
    ping.content_id = content_id;
    ping.context_id = context_id;
    ping.collection_id = collection_id;
    ping.event = submitted.state.passed() ? store::ping_event::complete : store::ping_event::update;
    const auto generation =
        std::max(submitted.generation, app::record_ping(context.data, request.call(), user_id, ping).generation);
    return current.ok(context, boost::json::object{{content_id, "Score Updated"}}, generation);
}

handler_result assessment_read(services& context, request_context& request) {
    call current{"api.assessment.read", nullptr, request.now_ms};
    boost::json::object body;
    const boost::json::object* inner = nullptr;
    if (auto error = sunbird::read_call(request, body, current, inner)) return current.fail(*error);
    std::vector<field_error> errors;
    const auto content_id = required_id(*inner, "contentId", "Content Id", errors);
    const auto collection_id = required_id(*inner, "collectionId", "Collection Id", errors);
    const auto context_id = required_id(*inner, "contextId", "Context Id", errors);
    if (!errors.empty()) return current.fail(field_errors(std::move(errors)));
    std::string user_id;
    if (auto error = read_user(request, inner, user_id)) return current.fail(*error);
    if (auto loading = refuse_while_loading(context)) return current.fail(*loading);

    boost::json::array attempts;
    if (auto state = context.data.assessments().find(user_id, {context_id, content_id})) {
        for (const auto& attempt : state->attempts) {
            attempts.push_back(sunbird::attempt_to_json(attempt));
        }
    }
    return current.ok(context, boost::json::object{{"userId", user_id},
                                                   {"contentId", content_id},
                                                   {"collectionId", collection_id},
                                                   {"contextId", context_id},
                                                   {"assessments", std::move(attempts)}});
}

}  // namespace

// Summaries, download and delete live in sunbird_summary.cpp.
void register_sunbird_summary_routes(router& routes, services& context);

namespace sunbird_ids {
inline constexpr char start[] = "api.view.start";
inline constexpr char update[] = "api.view.update";
inline constexpr char end[] = "api.view.end";
inline constexpr char read[] = "api.view.read";
inline constexpr char submit[] = "api.assess.submit";
inline constexpr char assessment_read_id[] = "api.assessment.read";
// For paths under a group that no route matches.
inline constexpr char view_group[] = "api.view";
inline constexpr char assessment_group[] = "api.assessment";
inline constexpr char summary_group[] = "api.summary";
}  // namespace sunbird_ids

void register_sunbird_routes(router& routes, services& context) {
    using namespace sunbird_ids;
    using sunbird::write_error;
    routes.add(http::verb::post, "/v1/view/start", bind_handler(context, view_start),
               {.write_error = write_error<start>});
    routes.add(http::verb::post, "/v1/view/update", bind_handler(context, view_update),
               {.write_error = write_error<update>});
    routes.add(http::verb::post, "/v1/view/end", bind_handler(context, view_end), {.write_error = write_error<end>});
    routes.add(http::verb::post, "/v1/view/read", bind_handler(context, view_read), {.write_error = write_error<read>});
    routes.add(http::verb::post, "/v1/assessment/submit", bind_handler(context, assessment_submit),
               {.write_error = write_error<submit>});
    routes.add(http::verb::post, "/v1/assessment/read", bind_handler(context, assessment_read),
               {.write_error = write_error<assessment_read_id>});
    register_sunbird_summary_routes(routes, context);
    // A 404 or 405 under the service's paths keeps the envelope (responseCode RESOURCE_NOT_FOUND,
    // METHOD_NOT_ALLOWED), named after the group.
    routes.add_family_prefix("/v1/view", write_error<view_group>);
    routes.add_family_prefix("/v1/assessment", write_error<assessment_group>);
    routes.add_family_prefix("/v1/summary", write_error<summary_group>);
}

}  // namespace progressd
