#include "handlers/problem.hpp"

#include "handlers/json/json_text.hpp"

namespace progressd {
namespace {

struct problem_kind {
    std::string_view slug;
    std::string_view title;
};

constexpr problem_kind kind_of(error_code code) {
    switch (code) {
        case error_code::malformed_json: return {"malformed-json", "Malformed JSON body"};
        case error_code::validation: return {"validation", "Invalid request"};
        case error_code::missing_credentials: return {"missing-credentials", "Authentication required"};
        case error_code::invalid_credentials: return {"invalid-credentials", "Invalid credentials"};
        case error_code::forbidden: return {"forbidden", "Forbidden"};
        case error_code::not_found: return {"not-found", "Not found"};
        case error_code::method_not_allowed: return {"method-not-allowed", "Method not allowed"};
        case error_code::request_timeout: return {"timeout", "Request timeout"};
        case error_code::body_too_large: return {"body-too-large", "Request body too large"};
        case error_code::unsupported_media_type: return {"unsupported-media-type", "Unsupported media type"};
        case error_code::headers_too_large: return {"headers-too-large", "Request headers too large"};
        case error_code::internal: return {"internal", "Internal server error"};
        case error_code::unavailable: return {"unavailable", "Service unavailable"};
    }
    return {"internal", "Internal server error"};
}

}  // namespace

boost::json::object problem_body(const api_error& error) {
    const auto kind = kind_of(error.code);
    boost::json::object body;
    body["type"] = std::string("https://progressd.dev/problems/") + std::string(kind.slug);
    body["title"] = kind.title;
    body["status"] = status_of(error.code);
    body["detail"] = error.detail.empty() ? kind.title : std::string_view(error.detail);
    boost::json::array errors;
    for (const auto& field : error.errors) {
        errors.push_back(boost::json::object{{"field", field.field}, {"message", field.message}});
    }
    body["errors"] = std::move(errors);
    return body;
}

http_response write_problem(const api_error& error) {
    http_response response{static_cast<http::status>(status_of(error.code)), 11};
    response.set(http::field::content_type, "application/problem+json");
    if (!error.allow.empty()) response.set(http::field::allow, error.allow);
    if (error.code == error_code::missing_credentials || error.code == error_code::invalid_credentials) {
        response.set(http::field::www_authenticate, "Bearer");
    }
    response.body() = to_json_text(problem_body(error));
    return response;
}

}  // namespace progressd
