// The Skilljar family's shared plumbing (handlers/compat/skilljar/skilljar_family.hpp): its error
// writer, admission, body and page readers, and the durable answer.

#include "handlers/compat/skilljar/skilljar_family.hpp"

#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/services.hpp"

namespace progressd::skilljar {
namespace {

http_response not_durable() {
    return detail_response(http::status::service_unavailable, "The write could not be made durable; retry later.");
}

}  // namespace

http_response detail_response(http::status status, std::string_view detail) {
    return json_response(status, boost::json::object{{"detail", detail}});
}

http_response write_error(const api_error& error) {
    switch (error.code) {
        case error_code::missing_credentials:
        case error_code::invalid_credentials: {
            auto response = detail_response(http::status::unauthorized,
                                            error.code == error_code::missing_credentials
                                                ? "Authentication credentials were not provided."
                                                : "Invalid username/password.");
            response.set(http::field::www_authenticate, "Basic realm=\"api\"");
            return response;
        }
        case error_code::forbidden:
            return detail_response(http::status::forbidden, "You do not have permission to perform this action.");
        case error_code::not_found: return detail_response(http::status::not_found, "Not found.");
        // DRF names the method ("Method \"PATCH\" not allowed."); the router's error carries only
        // what is allowed, which it sends as Allow.
        case error_code::method_not_allowed:
            return detail_response(http::status::method_not_allowed, "Method not allowed.");
        case error_code::malformed_json: {
            const std::string reason = error.errors.empty() ? error.detail : error.errors.front().message;
            return detail_response(http::status::bad_request, "JSON parse error - " + reason);
        }
        case error_code::validation: {
            field_errors errors;
            for (const auto& field : error.errors) errors[field.field].push_back(field.message);
            if (errors.empty()) errors["non_field_errors"].push_back(error.detail);
            return json_response(http::status::bad_request, validation_body(errors));
        }
        default:
            return detail_response(static_cast<http::status>(status_of(error.code)),
                                   error.detail.empty() ? "Error" : std::string_view(error.detail));
    }
}

handler_result fail(const api_error& error) { return {write_error(error)}; }

handler_result invalid(const field_errors& errors) {
    return {json_response(http::status::bad_request, validation_body(errors))};
}

handler_result finish(const services& context, http_response response, std::uint64_t generation) {
    handler_result result{std::move(response)};
    if (const auto waits_for = context.data.reply_waits_for(generation); waits_for != 0) {
        result.durable_generation = waits_for;
        result.not_durable = not_durable;
    }
    return result;
}

handler_result finish_durable(services& context, http_response response, std::uint64_t generation) {
    context.data.persister().request_flush();  // snapshot mode would otherwise wait for the next interval
    return {std::move(response), generation, not_durable};
}

std::optional<api_error> admit(const services& context, const request_context& request, bool write) {
    if (auto refused = require_service(*request.principal, "the Skilljar API")) return refused;
    return write ? refuse_if_unwritable(context) : refuse_while_loading(context);
}

std::optional<api_error> read_object(const request_context& request, boost::json::object& body) {
    if (request.request.body().empty()) return std::nullopt;  // PATCH {} and an empty body alike
    return parse_json_object(request.request, body);
}

std::string base_url(const request_context& request) {
    const std::string_view host = request.request[http::field::host];
    return "http://" + std::string(host.empty() ? std::string_view("localhost") : host) + std::string(request.path);
}

std::optional<page_request> read_page(const request_context& request, std::size_t default_size, bool sized) {
    return parse_page(query_param(request.query, "page"), query_param(request.query, "page_size"), default_size,
                      default_size, sized);
}

}  // namespace progressd::skilljar
