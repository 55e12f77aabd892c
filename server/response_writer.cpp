#include "server/response_writer.hpp"

#include <charconv>

namespace progressd {
namespace {

// RFC 9110 §15: these statuses never carry content, so they get no Content-Length either.
bool allows_body(unsigned status) { return status >= 200 && status != 204 && status != 304; }

// What a page on another origin may read of an answer beyond the CORS-safelisted fields.
constexpr std::string_view exposed_fields = "Allow, Content-Disposition, Location, Retry-After, WWW-Authenticate";

void append_cors_fields(std::string& out, response_framing framing) {
    if (!framing.cors_origin.empty()) {
        out.append("Access-Control-Allow-Origin: ");
        out.append(framing.cors_origin);
        out.append("\r\nAccess-Control-Expose-Headers: ");
        out.append(exposed_fields);
        out.append("\r\n");
    }
    out.append("Vary: Origin\r\n");
}

void append_number(std::string& out, std::size_t number) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    out.append(digits, end);
}

}  // namespace

void serialize_response(const http_response& response, response_framing framing, std::string& out) {
    out.clear();
    out.append(framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(out, response.result_int());
    out.push_back(' ');
    const auto reason = response.reason();
    out.append(reason.data(), reason.size());
    out.append("\r\n");
    bool has_length = false;
    bool has_type = false;
    bool has_retry_after = false;
    for (const auto& field : response) {
        has_length = has_length || field.name() == http::field::content_length;
        has_type = has_type || field.name() == http::field::content_type;
        has_retry_after = has_retry_after || field.name() == http::field::retry_after;
        const auto name = field.name_string();
        const auto value = field.value();
        out.append(name.data(), name.size());
        out.append(": ");
        out.append(value.data(), value.size());
        out.append("\r\n");
    }
    const bool body = allows_body(response.result_int());
    if (body && !has_type && (has_length || !response.body().empty())) out.append("Content-Type: application/json\r\n");
    // A HEAD answer keeps the length its GET would have (the router sets it); others get the body's.
    if (body && !has_length && !framing.head) {
        out.append("Content-Length: ");
        append_number(out, response.body().size());
        out.append("\r\n");
    }
    // Every 503 (readiness while loading or draining, writes while persistence fails), in every
    // family's format, tells clients when to come back, so players and load balancers retry
    // instead of giving up or hammering. A handler that knows better sets its own.
    if (response.result_int() == 503 && !has_retry_after) out.append("Retry-After: 1\r\n");
    if (framing.vary_origin) append_cors_fields(out, framing);
    if (framing.version == 10 && framing.keep_alive) out.append("Connection: keep-alive\r\n");
    if (framing.version != 10 && !framing.keep_alive) out.append("Connection: close\r\n");
    out.append("\r\n");
    if (body && !framing.head) out.append(response.body());
}

}  // namespace progressd
