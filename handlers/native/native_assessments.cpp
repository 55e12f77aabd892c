// Native API, assessments (docs/native-api.md, "Assessments"): quiz attempts per record. A
// submission is scored (the last result per item wins), kept (50 newest), and moves the record:
// in progress, or completed once an attempt has passed.

#include "app/progress_events.hpp"
#include "app/record_ping.hpp"
#include "handlers/access.hpp"
#include "handlers/json/assessment_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/json/record_json.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/assessments.hpp"
#include "store/ids.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace progressd {
namespace {

constexpr double max_score_value = 1e6;
constexpr std::size_t max_items = 1000;
constexpr double default_pass_percent = 50;

handler_result fail(const api_error& error) { return {write_problem(error)}; }

struct submission {
    std::string user_id;
    store::ping observation;  // content, context, collection: the ping the submission applies
    store::assessment_attempt attempt;
    std::optional<bool> passed;
};

void read_items(field_reader& fields, const boost::json::array& items, store::item_totals& totals) {
    std::vector<store::item_result> results;
    results.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string name = "items[" + std::to_string(i) + "]";
        if (!items[i].is_object()) {
            fields.fail(name, "must be an object {item_id, score, max_score}");
            continue;
        }
        field_reader item(items[i].as_object(), name + ".");
        store::item_result result;
        result.item_id = item.id("item_id", true).value_or("");
        result.score = item.number("score", max_score_value).value_or(0);
        result.max_score = item.number("max_score", max_score_value).value_or(0);
        if (!item.raw("score")) item.fail("score", "is required");
        if (!item.ok()) {
            for (const auto& error : item.error().errors) fields.fail(error.field, error.message);
            continue;
        }
        results.push_back(std::move(result));
    }
    totals = store::score_items(results);
}

std::optional<api_error> parse_submission(const boost::json::object& body, const auth::principal& principal,
                                          std::int64_t now_ms, submission& out) {
    field_reader fields(body);
    std::optional<std::string> requested_user;
    if (fields.raw("user_id")) {
        requested_user = fields.id("user_id", false);
        if (!requested_user) return fields.error();
    }
    if (auto refused = resolve_subject(principal, requested_user, "user_id", out.user_id)) return refused;

    if (auto id = fields.id("content_id", true)) out.observation.content_id = std::move(*id);
    if (auto id = fields.context_id("context_id")) out.observation.context_id = std::move(*id);
    if (fields.raw("collection_id")) {
        if (auto id = fields.id("collection_id", false)) out.observation.collection_id = std::move(*id);
    }
    if (auto id = fields.id("attempt_id", true)) out.attempt.attempt_id = std::move(*id);
    out.attempt.submitted_at = fields.integer("submitted_at").value_or(now_ms);

    store::item_totals totals;
    if (const auto* items = fields.raw("items")) {
        if (!items->is_array() || items->as_array().empty() || items->as_array().size() > max_items) {
            fields.fail("items", "must be an array of 1 to 1000 item results");
        } else if (fields.raw("score") || fields.raw("max_score")) {
            fields.fail("score", "must not be given with items: the items are summed");
        } else {
            read_items(fields, items->as_array(), totals);
        }
    } else {
        const auto score = fields.number("score", max_score_value);
        const auto max_score = fields.number("max_score", max_score_value);
        if (!fields.raw("score")) fields.fail("score", "is required (or items)");
        if (!fields.raw("max_score")) fields.fail("max_score", "is required with score");
        if (score && max_score && *score > *max_score) fields.fail("score", "must not exceed max_score");
        totals = {score.value_or(0), max_score.value_or(0)};
    }
    out.attempt.score = totals.score;
    out.attempt.max_score = totals.max_score;
    if (const auto* passed = fields.raw("passed")) {
        if (passed->is_bool()) {
            out.passed = passed->as_bool();
        } else {
            fields.fail("passed", "must be true or false");
        }
    }
    if (!fields.ok()) return fields.error();
    return std::nullopt;
}

// The catalog entry's attributes.pass_percent (0–100), else the default.
double pass_percent(const store::catalog_snapshot& catalog, std::string_view content_id) {
    const auto* entry = catalog.find(content_id);
    if (!entry || entry->attributes.empty()) return default_pass_percent;
    boost::system::error_code ec;
    const auto attributes = boost::json::parse(entry->attributes, ec);
    if (ec || !attributes.is_object()) return default_pass_percent;
    const auto* value = attributes.as_object().if_contains("pass_percent");
    if (!value || !value->is_number()) return default_pass_percent;
    const double percent = value->to_number<double>();
    return percent >= 0 && percent <= 100 ? percent : default_pass_percent;
}

handler_result post_assessment(services& context, request_context& request) {
    boost::json::object body;
    if (auto error = parse_json_object(request.request, body)) return fail(*error);
    submission parsed;
    if (auto error = parse_submission(body, *request.principal, request.now_ms, parsed)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);

    auto& attempt = parsed.attempt;
    if (parsed.passed) {
        attempt.passed = *parsed.passed;
    } else {
        const double percent = pass_percent(request.thread.catalog.get(context.data.catalog()), parsed.observation.content_id);
        attempt.passed = attempt.max_score > 0 && attempt.score / attempt.max_score * 100 >= percent;
    }
    const store::record_key key{parsed.observation.context_id, parsed.observation.content_id};
    const auto submitted = app::submit_attempt_with_events(context.data, request.call(), parsed.user_id, key, attempt);

    // The quiz's record: started by any attempt, completed once one has passed (sticky).
    auto& ping = parsed.observation;
    ping.event = submitted.state.passed() ? store::ping_event::complete : store::ping_event::update;
    const auto applied = app::record_ping(context.data, request.call(), parsed.user_id, ping);
    const auto generation = std::max(submitted.generation, applied.generation);

    auto json = state_to_json(parsed.user_id, key, submitted.state);
    json["attempt"] = attempt_to_json(attempt);
    json["progress"] = summary_to_json(key.context_id, key.content_id, applied.summary);
    return durable_native(context, json_response(http::status::ok, json), generation);
}

handler_result get_assessment(services& context, request_context& request) {
    const std::string_view content_id = request.params[0];
    if (!store::is_valid_id(content_id)) {
        return fail(api_error::field(error_code::validation, "content_id", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -"));
    }
    if (auto loading = refuse_while_loading(context)) return fail(*loading);
    auto context_id = query_param(request.query, "context_id").value_or("");
    if (!store::is_valid_context_id(context_id)) {
        return fail(api_error::field(error_code::validation, "context_id", "must be empty or a valid id"));
    }
    std::string user_id;
    if (auto error = resolve_subject(*request.principal, query_param(request.query, "user_id"), "user_id", user_id)) {
        return fail(*error);
    }
    const store::record_key key{std::move(context_id), std::string(content_id)};
    const auto state = context.data.assessments().find(user_id, key);
    if (!state) return fail({error_code::not_found, "no attempts for this content", {}, {}});
    return {json_response(http::status::ok, state_to_json(user_id, key, *state))};
}

}  // namespace

void register_native_assessment_routes(router& routes, services& context) {
    // Item lists can be long: the batch body limit (16×).
    routes.add(http::verb::post, "/v1/assessments", bind_handler(context, post_assessment), {.body_limit_multiplier = 16});
    routes.add(http::verb::get, "/v1/assessments/{content_id}", bind_handler(context, get_assessment));
}

}  // namespace progressd
