#include "handlers/json/json_io.hpp"

#include "handlers/json/json_text.hpp"
#include "handlers/uri.hpp"
#include "store/ids.hpp"

#include <boost/json/parse.hpp>

#include <cmath>

namespace progressd {
namespace {

constexpr std::int64_t max_safe_integer = std::int64_t{1} << 53;

bool is_json_media_type(std::string_view content_type) {
    const std::string_view type = content_type.substr(0, content_type.find(';'));
    const auto trimmed_end = type.find_last_not_of(" \t");
    const std::string_view bare = trimmed_end == std::string_view::npos ? type : type.substr(0, trimmed_end + 1);
    constexpr std::string_view json = "application/json";
    if (bare.size() != json.size()) return false;
    // ASCII case folding by hand: std::tolower is a locale-aware call per byte, on every write.
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = bare[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c) != json[i]) return false;
    }
    return true;
}

}  // namespace

std::optional<api_error> check_json_content_type(const http_request& request) {
    const auto content_type = request[http::field::content_type];
    if (!content_type.empty() && !is_json_media_type(content_type)) {
        return api_error::field(error_code::unsupported_media_type, "Content-Type", "must be application/json");
    }
    return std::nullopt;
}

std::optional<api_error> parse_json_body(const http_request& request, boost::json::value& out) {
    if (auto error = check_json_content_type(request)) return error;
    boost::json::parse_options options;
    options.max_depth = 32;
    boost::system::error_code ec;
    out = boost::json::parse(request.body(), ec, out.storage(), options);
    if (ec) return api_error::field(error_code::malformed_json, "body", "is not valid JSON: " + ec.message());
    return std::nullopt;
}

std::optional<api_error> parse_json_object(const http_request& request, boost::json::object& out) {
    boost::json::value value(out.storage());
    if (auto error = parse_json_body(request, value)) return error;
    if (!value.is_object()) return api_error::field(error_code::validation, "body", "must be a JSON object");
    out = std::move(value.as_object());
    return std::nullopt;
}

http_response json_response(http::status status, const boost::json::value& body) {
    return json_response(status, to_json_text(body));
}

http_response json_response(http::status status, std::string body) {
    // No Content-Type field: application/json is what the response writer (server/response_writer.hpp)
    // sends for a body without one, which saves storing a field (an allocation) on every answer.
    http_response response{status, 11};
    response.body() = std::move(body);
    return response;
}

http_response empty_response(http::status status) { return http_response{status, 11}; }

const boost::json::value* field_reader::raw(std::string_view name) const {
    const auto* value = object_.if_contains(name);
    return value && !value->is_null() ? value : nullptr;
}

void field_reader::fail(std::string_view name, std::string_view message) {
    errors_.push_back({prefix_ + std::string(name), std::string(message)});
}

api_error field_reader::error() const {
    api_error error{error_code::validation, {}, errors_, {}};
    for (const auto& field : errors_) {
        if (!error.detail.empty()) error.detail += "; ";
        error.detail += field.field + " " + field.message;
    }
    return error;
}

std::optional<std::string> field_reader::id(std::string_view name, bool required) {
    const auto* value = raw(name);
    if (!value) {
        if (required) fail(name, "is required");
        return std::nullopt;
    }
    if (!value->is_string() || !store::is_valid_id(value->as_string())) {
        fail(name, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
        return std::nullopt;
    }
    return std::string(value->as_string());
}

std::optional<std::string> field_reader::context_id(std::string_view name) {
    const auto* value = raw(name);
    if (!value) return std::string();
    if (!value->is_string() || !store::is_valid_context_id(value->as_string())) {
        fail(name, "must be empty or 1-128 characters of A-Z a-z 0-9 . _ : @ -");
        return std::nullopt;
    }
    return std::string(value->as_string());
}

std::optional<double> field_reader::number(std::string_view name, double max) {
    const auto* value = raw(name);
    if (!value) return std::nullopt;
    boost::system::error_code ec;
    const double number = value->to_number<double>(ec);
    if (ec || value->is_bool() || !std::isfinite(number) || number < 0 || number > max) {
        fail(name, "must be a number from 0 to " + to_json_text(boost::json::value(max)));
        return std::nullopt;
    }
    return number;
}

std::optional<std::int64_t> field_reader::integer(std::string_view name) {
    const auto* value = raw(name);
    if (!value) return std::nullopt;
    boost::system::error_code ec;
    const auto number = value->to_number<std::int64_t>(ec);
    if (ec || number < 0 || number > max_safe_integer) {
        fail(name, "must be a non-negative integer");
        return std::nullopt;
    }
    return number;
}

std::optional<std::string> field_reader::text(std::string_view name, std::size_t max_bytes) {
    const auto* value = raw(name);
    if (!value) return std::nullopt;
    if (!value->is_string() || value->as_string().size() > max_bytes) {
        fail(name, "must be a string of at most " + std::to_string(max_bytes) + " bytes");
        return std::nullopt;
    }
    return std::string(value->as_string());
}

std::optional<std::string> field_reader::object_text(std::string_view name, std::size_t max_bytes) {
    const auto* value = raw(name);
    if (!value) return std::nullopt;
    if (!value->is_object()) {
        fail(name, "must be a JSON object");
        return std::nullopt;
    }
    std::string text = to_json_text(*value);
    if (text.size() > max_bytes) {
        fail(name, "must serialize to at most " + std::to_string(max_bytes) + " bytes");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

}  // namespace progressd
