// Native API, progress records (docs/native-api.md): the ping hot path, batches, reads, resets.

#include "app/record_ping.hpp"
#include "handlers/access.hpp"
#include "handlers/json/collection_progress.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/json/record_json.hpp"
#include "handlers/native/native_ping.hpp"
#include "handlers/problem.hpp"
#include "handlers/router.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <boost/json/monotonic_resource.hpp>

namespace progressd {
namespace {

constexpr std::size_t max_batch_pings = 1000;
constexpr std::size_t max_read_ids = 100;
// An item of a batch's answer, {"status":200,"progress":{...}}, about: room to reserve.
constexpr std::size_t typical_batch_item_bytes = 32 + typical_summary_json_bytes;

http_response not_durable() {
    return write_problem({error_code::unavailable, "the write could not be made durable; retry later", {}, {}});
}

handler_result fail(const api_error& error) { return {write_problem(error)}; }

handler_result durable(services& context, http_response response, std::uint64_t generation) {
    handler_result result{std::move(response)};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        result.durable_generation = waits_for;
        result.not_durable = not_durable;
    }
    return result;
}

bool prefers_minimal(const http_request& request) {
    return request[http::field::prefer].find("return=minimal") != std::string_view::npos;
}

// The (user, context) a read or reset names through its query string.
struct query_scope {
    std::string user_id;
    std::string context_id;
};

std::optional<api_error> read_scope(const services& context, const request_context& request, query_scope& scope) {
    if (auto loading = refuse_while_loading(context)) return loading;
    auto context_id = query_param(request.query, "context_id").value_or("");
    if (!store::is_valid_context_id(context_id)) {
        return api_error::field(error_code::validation, "context_id", "must be empty or a valid id");
    }
    scope.context_id = std::move(context_id);
    return resolve_subject(*request.principal, query_param(request.query, "user_id"), "user_id", scope.user_id);
}

std::optional<api_error> read_content_id(std::string_view content_id) {
    if (store::is_valid_id(content_id)) return std::nullopt;
    return api_error::field(error_code::validation, "content_id", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
}

// A ping body: the flat fast path when it applies (nearly every player's ping), otherwise the
// DOM path, which also writes every error. Both give the same ping for the same valid body.
std::optional<api_error> read_ping(const request_context& request, parsed_ping& parsed) {
    if (auto error = check_json_content_type(request.request)) return error;
    if (parse_flat_ping(request.request.body(), *request.principal, parsed)) return std::nullopt;
    parsed = parsed_ping{};
    // The DOM lives in this stack arena: parsing it costs no heap allocation.
    unsigned char arena_bytes[4096];
    boost::json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
    boost::json::object body(&arena);
    if (auto error = parse_json_object(request.request, body)) return error;
    return parse_ping(body, *request.principal, {}, parsed);
}

handler_result post_progress(services& context, request_context& request) {
    parsed_ping parsed;
    if (auto error = read_ping(request, parsed)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    const auto& ping = parsed.observation;
    const auto applied = app::record_ping(context.data, request.call(), parsed.user_id, parsed.observation);
    if (prefers_minimal(request.request)) {
        return durable(context, empty_response(http::status::no_content), applied.generation);
    }
    std::string text;
    text.reserve(256);
    append_summary_json(text, ping.context_id, ping.content_id, applied.summary);
    return durable(context, json_response(http::status::ok, std::move(text)), applied.generation);
}

// Applies one valid ping of a batch and appends its result item; the generation to wait for.
std::uint64_t apply_batch_item(services& context, request_context& request, parsed_ping& parsed, std::string& text) {
    const auto& ping = parsed.observation;
    const auto applied = app::record_ping(context.data, request.call(), parsed.user_id, parsed.observation);
    text.append("{\"status\":200,\"progress\":");
    append_summary_json(text, ping.context_id, ping.content_id, applied.summary);
    text.push_back('}');
    return applied.generation;
}

handler_result batch_answer(services& context, std::string text, std::uint64_t generation) {
    text.append("]}");
    auto response = json_response(http::status::ok, std::move(text));
    if (generation == 0) return {std::move(response)};
    return durable(context, std::move(response), generation);
}

handler_result post_batch(services& context, request_context& request) {
    if (auto error = check_json_content_type(request.request)) return fail(*error);
    // The answer as text, item by item: summaries are written directly, as for one ping.
    std::string text = "{\"results\":[";
    std::uint64_t generation = 0;

    // A queue of flat pings, every one valid (a player flushing what it held while offline): read
    // without a DOM, as a single ping is. Anything else takes the full path below.
    std::vector<parsed_ping> flat;
    if (parse_flat_batch(request.request.body(), *request.principal, max_batch_pings, flat)) {
        if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
        text.reserve(16 + flat.size() * typical_batch_item_bytes);
        for (std::size_t i = 0; i < flat.size(); ++i) {
            if (i > 0) text.push_back(',');
            generation = std::max(generation, apply_batch_item(context, request, flat[i], text));
        }
        return batch_answer(context, std::move(text), generation);
    }

    boost::json::monotonic_resource arena;
    boost::json::object body(&arena);
    if (auto error = parse_json_object(request.request, body)) return fail(*error);
    const auto* pings = body.if_contains("pings");
    if (!pings || !pings->is_array() || pings->as_array().empty() || pings->as_array().size() > max_batch_pings) {
        return fail(api_error::field(error_code::validation, "pings", "must be an array of 1 to 1000 pings"));
    }
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);

    text.reserve(16 + pings->as_array().size() * typical_batch_item_bytes);
    std::size_t index = 0;
    for (const auto& item : pings->as_array()) {
        if (index > 0) text.push_back(',');
        const std::string prefix = "pings[" + std::to_string(index++) + "].";
        parsed_ping parsed;
        std::optional<api_error> error;
        if (!item.is_object()) {
            error = api_error::field(error_code::validation, prefix.substr(0, prefix.size() - 1), "must be an object");
        } else {
            error = parse_ping(item.as_object(), *request.principal, prefix, parsed);
        }
        if (error) {
            text.append("{\"status\":");
            append_json_integer(text, status_of(error->code));
            text.append(",\"error\":");
            append_json(text, problem_body(*error));
            text.push_back('}');
            continue;
        }
        generation = std::max(generation, apply_batch_item(context, request, parsed, text));
    }
    return batch_answer(context, std::move(text), generation);
}

handler_result get_one(services& context, request_context& request) {
    const std::string_view content_id = request.params[0];
    if (auto error = read_content_id(content_id)) return fail(*error);
    query_scope scope;
    if (auto error = read_scope(context, request, scope)) return fail(*error);
    auto record = context.data.records().find(scope.user_id, scope.context_id, content_id);
    if (!record) return fail({error_code::not_found, "no progress for this content", {}, {}});
    const store::record_key key{scope.context_id, std::string(content_id)};
    std::string text;
    text.reserve(512);
    append_record_json(text, scope.user_id, key, *record);
    return {json_response(http::status::ok, std::move(text))};
}

handler_result get_many(services& context, request_context& request) {
    query_scope scope;
    if (auto error = read_scope(context, request, scope)) return fail(*error);
    const auto ids = query_param(request.query, "content_ids").value_or("");
    std::vector<std::string_view> content_ids;
    for (std::size_t start = 0; start <= ids.size();) {
        const std::size_t comma = std::min(ids.find(',', start), ids.size());
        content_ids.push_back(std::string_view(ids).substr(start, comma - start));
        start = comma + 1;
    }
    const bool all_valid = std::all_of(content_ids.begin(), content_ids.end(), store::is_valid_id);
    if (!all_valid || content_ids.size() > max_read_ids) {
        return fail(api_error::field(error_code::validation, "content_ids",
                                     "must be 1 to 100 comma-separated content ids"));
    }
    // Text written directly, as for one record: no DOM of up to 100 records.
    std::string text;
    text.reserve(32 + content_ids.size() * typical_record_json_bytes);
    text.append("{\"results\":[");
    std::vector<std::string_view> missing;
    bool first = true;
    for (auto content_id : content_ids) {
        if (auto record = context.data.records().find(scope.user_id, scope.context_id, content_id)) {
            if (!first) text.push_back(',');
            first = false;
            append_record_json(text, scope.user_id, {scope.context_id, std::string(content_id)}, *record);
        } else {
            missing.push_back(content_id);
        }
    }
    text.append("],\"missing\":[");
    for (std::size_t i = 0; i < missing.size(); ++i) {
        if (i > 0) text.push_back(',');
        append_json_string(text, missing[i]);
    }
    text.append("]}");
    return {json_response(http::status::ok, std::move(text))};
}

handler_result delete_one(services& context, request_context& request) {
    const std::string_view content_id = request.params[0];
    if (auto error = read_content_id(content_id)) return fail(*error);
    query_scope scope;
    if (auto error = read_scope(context, request, scope)) return fail(*error);
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);
    auto generation = context.data.records().erase(scope.user_id, scope.context_id, content_id);
    // The record's assessment attempts go with it (docs/data-model.md, "Resets and erasure").
    if (auto erased = context.data.assessments().erase(scope.user_id, {scope.context_id, std::string(content_id)})) {
        generation = std::max(generation.value_or(0), *erased);
    }
    // A content with a parent collection answers the parent's aggregate after the reset.
    auto response = empty_response(http::status::no_content);
    if (auto parent = reset_parent_progress(context, request.thread, scope.user_id, scope.context_id, content_id)) {
        response = json_response(http::status::ok, std::move(*parent));
    }
    if (!generation) return {std::move(response)};
    return durable(context, std::move(response), *generation);
}

}  // namespace

void register_native_progress_routes(router& routes, services& context) {
    routes.add(http::verb::post, "/v1/progress", bind_handler(context, post_progress));
    routes.add(http::verb::post, "/v1/progress/batch", bind_handler(context, post_batch), {.body_limit_multiplier = 16});
    routes.add(http::verb::get, "/v1/progress", bind_handler(context, get_many));
    routes.add(http::verb::get, "/v1/progress/{content_id}", bind_handler(context, get_one));
    routes.add(http::verb::delete_, "/v1/progress/{content_id}", bind_handler(context, delete_one));
}

}  // namespace progressd
