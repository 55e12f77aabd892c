// Musora reset (docs/compat-musora.md): PUT /musora-api/reset deletes the user's
// progress on a content and answers the parent content in the document's shape, or 204 when
// the content has no parent. An adapter over the store, the catalog and the aggregation; the
// shape lives in musora_mapping.*. Errors are written the way the platform's Laravel back end
// writes them: {"message": …} and, for validation, "errors": {field: [messages]}.

#include "handlers/access.hpp"
#include "handlers/compat/musora/musora_mapping.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"
#include "handlers/thread_context.hpp"
#include "handlers/uri.hpp"
#include "store/ids.hpp"
#include "store/user_collection.hpp"

#include <boost/json/array.hpp>


namespace progressd {
namespace {

http_response message_response(http::status status, std::string_view message) {
    return json_response(status, boost::json::object{{"message", message}});
}

http_response write_musora_error(const api_error& error) {
    switch (error.code) {
        case error_code::validation:
        case error_code::malformed_json: {
            boost::json::object errors;
            for (const auto& field : error.errors) {
                errors[field.field] = boost::json::array{boost::json::string(field.field + " " + field.message)};
            }
            const std::string message = error.errors.empty() ? error.detail
                                                             : error.errors.front().field + " " + error.errors.front().message;
            return json_response(http::status::unprocessable_entity,
                                 boost::json::object{{"message", message}, {"errors", std::move(errors)}});
        }
        // Only the router answers these (the reset's own misses are 204): Laravel names the path
        // and method in its texts, which the router's error does not carry, so the status texts.
        case error_code::not_found: return message_response(http::status::not_found, "Not Found");
        case error_code::method_not_allowed:
            return message_response(http::status::method_not_allowed, "Method Not Allowed");
        case error_code::missing_credentials:
        case error_code::invalid_credentials: {
            auto response = message_response(http::status::unauthorized, "Unauthenticated.");
            response.set(http::field::www_authenticate, "Bearer");
            return response;
        }
        default:
            return message_response(static_cast<http::status>(status_of(error.code)),
                                    error.detail.empty() ? "Error" : std::string_view(error.detail));
    }
}

http_response not_durable() {
    return message_response(http::status::service_unavailable, "the reset could not be made durable; retry later");
}

handler_result fail(const api_error& error) { return {write_musora_error(error)}; }

api_error content_id_error(std::string_view message) {
    return api_error::field(error_code::validation, "content_id", message);
}

bool is_form(std::string_view content_type) {
    return content_type.starts_with("application/x-www-form-urlencoded");
}

// content_id from the query, else the body: form-encoded (what jQuery sends for `data:{…}`) or
// JSON (a number or a string). A body without a Content-Type is read as JSON when it looks like
// an object, else as a form.
std::optional<api_error> read_content_id(const request_context& request, std::string& content_id) {
    std::optional<std::string> given = query_param(request.query, "content_id");
    const auto& body = request.request.body();
    if (!given && !body.empty()) {
        const std::string_view content_type = request.request[http::field::content_type];
        const bool looks_json = body.find_first_not_of(" \t\r\n") != std::string::npos &&
                                body[body.find_first_not_of(" \t\r\n")] == '{';
        if (is_form(content_type) || (content_type.empty() && !looks_json)) {
            given = query_param(body, "content_id");
        } else {
            boost::json::value parsed;
            if (auto error = parse_json_body(request.request, parsed)) return error;
            const auto* value = parsed.is_object() ? parsed.as_object().if_contains("content_id") : nullptr;
            if (value && value->is_string()) {
                given = std::string(value->as_string());
            } else if (value && (value->is_int64() || value->is_uint64())) {
                given = value->is_int64() ? std::to_string(value->as_int64()) : std::to_string(value->as_uint64());
            } else if (value && !value->is_null()) {
                return content_id_error("must be an integer or a string");
            }
        }
    }
    if (!given || given->empty()) return content_id_error("field is required.");
    if (!store::is_valid_id(*given)) return content_id_error("must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
    content_id = std::move(*given);
    return std::nullopt;
}

handler_result put_reset(services& context, request_context& request) {
    std::string content_id;
    if (auto error = read_content_id(request, content_id)) return fail(*error);
    std::string user_id;
    if (auto error = resolve_subject(*request.principal, query_param(request.query, "user_id"), "user_id", user_id)) {
        return fail(*error);
    }
    if (auto refused = refuse_if_unwritable(context)) return fail(*refused);

    // Musora has no enrolment contexts: its progress is the organic one.
    const store::record_key key{"", content_id};
    auto generation = context.data.records().erase(user_id, key.context_id, key.content_id).value_or(0);
    if (auto erased = context.data.assessments().erase(user_id, key)) generation = std::max(generation, *erased);

    http_response response = empty_response(http::status::no_content);
    const auto snapshot = request.thread.catalog.shared(context.data.catalog());
    if (const auto parent = snapshot->parent_of(content_id)) {
        const std::string parent_id(*parent);
        const auto parent_progress = store::aggregate_user_collection(context.data.records(), *snapshot, user_id, key.context_id, parent_id);
        response = json_response(http::status::ok, musora::parent_to_json(*snapshot, parent_progress.node));
    }

    handler_result result{std::move(response)};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        result.durable_generation = waits_for;
        result.not_durable = not_durable;
    }
    return result;
}

}  // namespace

void register_musora_routes(router& routes, services& context) {
    routes.add(http::verb::put, "/musora-api/reset", bind_handler(context, put_reset),
               {.write_error = write_musora_error});
    routes.add_family_prefix("/musora-api", write_musora_error);
}

}  // namespace progressd
