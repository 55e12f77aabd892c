#pragma once
// One error vocabulary for every API family. Handlers describe what went wrong with an api_error;
// each family's error writer turns it into that family's format (problem+json, Sunbird envelope…).
// Client codes come before server codes; the HTTP status of each is decided here, once.

#include <string>
#include <string_view>
#include <vector>

namespace progressd {

enum class error_code {
    malformed_json,
    validation,
    missing_credentials,
    invalid_credentials,
    forbidden,
    not_found,
    method_not_allowed,
    request_timeout,
    body_too_large,
    unsupported_media_type,
    headers_too_large,
    internal,
    unavailable,
};

constexpr unsigned status_of(error_code code) {
    switch (code) {
        case error_code::malformed_json: return 400;
        case error_code::validation: return 422;
        case error_code::missing_credentials: return 401;
        case error_code::invalid_credentials: return 401;
        case error_code::forbidden: return 403;
        case error_code::not_found: return 404;
        case error_code::method_not_allowed: return 405;
        case error_code::request_timeout: return 408;
        case error_code::body_too_large: return 413;
        case error_code::unsupported_media_type: return 415;
        case error_code::headers_too_large: return 431;
        case error_code::internal: return 500;
        case error_code::unavailable: return 503;
    }
    return 500;
}

struct field_error {
    std::string field;
    std::string message;
};

struct api_error {
    error_code code = error_code::internal;
    std::string detail;
    std::vector<field_error> errors;
    std::string allow;  // for method_not_allowed: the Allow header

    static api_error field(error_code code, std::string_view name, std::string_view message) {
        api_error error{code, std::string(name) + " " + std::string(message), {}, {}};
        error.errors.push_back({std::string(name), std::string(message)});
        return error;
    }
};

}  // namespace progressd
