#include "server/forward_wire.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>
#include <cstddef>

namespace progressd {
namespace {

// RFC 9110 §15: these statuses never carry content, so they get no Content-Length either.
bool allows_body(unsigned status) { return status >= 200 && status != 204 && status != 304; }

bool hop_by_hop(http::field name) {
    switch (name) {
        case http::field::connection:
        case http::field::keep_alive:
        case http::field::proxy_connection:
        case http::field::te:
        case http::field::trailer:
        case http::field::transfer_encoding:
        case http::field::upgrade:
            return true;
        default:
            return false;
    }
}

// True when `test` holds for a token of the comma-separated `list` (blanks around tokens trimmed).
template <class Test>
bool any_token(std::string_view list, Test&& test) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view token = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
        if (!token.empty() && test(token)) return true;
    }
    return false;
}

// Nearly every Connection field says only close or keep-alive, which name no field: checking
// that once spares the per-field scan of every Connection value below.
bool names_other_fields(std::string_view connection_value) {
    return any_token(connection_value, [](std::string_view token) {
        return !beast::iequals(token, "close") && !beast::iequals(token, "keep-alive");
    });
}

bool lists(std::string_view connection_value, std::string_view name) {
    return any_token(connection_value, [name](std::string_view token) { return beast::iequals(token, name); });
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

void append_number(std::string& out, std::size_t number) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    out.append(digits, end);
}

void append_length(std::string& out, std::size_t length) {
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
}

// Whether a Connection field of the request lists `name` (rescanned per field: only requests
// whose Connection names extra fields, which no usual client sends, pay for it).
bool request_connection_lists(const http_request& request, std::string_view name) {
    for (std::size_t i = 0; i < request.field_count(); ++i) {
        const auto [field, value] = request.field(i);
        if (beast::iequals(field, "Connection") && lists(value, name)) return true;
    }
    return false;
}

}  // namespace

void serialize_forward_request(const http_request& request, std::string_view host_authority,
                               std::string_view forwarded_by, std::string& out) {
    bool connection_names_fields = false;
    for (std::size_t i = 0; i < request.field_count(); ++i) {
        const auto [name, value] = request.field(i);
        connection_names_fields = connection_names_fields || (beast::iequals(name, "Connection") && names_other_fields(value));
    }

    out.clear();
    const auto method = http::to_string(request.method());
    out.append(method.data(), method.size());
    out.push_back(' ');
    out.append(request.target());
    out.append(" HTTP/1.1\r\n");
    bool has_host = false;
    bool framed = false;  // the client sent a length (or chunks): the owner gets one, even of 0
    for (std::size_t i = 0; i < request.field_count(); ++i) {
        const auto [name, value] = request.field(i);
        const auto known = http::string_to_field(name);
        framed = framed || known == http::field::content_length || known == http::field::transfer_encoding;
        if (hop_by_hop(known) || known == http::field::content_length || known == http::field::expect) continue;
        // A client cannot make a node skip forwarding elsewhere by sending the guard itself.
        if (known == http::field::unknown && beast::iequals(name, forwarded_by_field)) continue;
        if (connection_names_fields && request_connection_lists(request, name)) continue;
        has_host = has_host || known == http::field::host;
        append_field(out, name, value);
    }
    if (!has_host) append_field(out, "Host", host_authority);
    append_field(out, forwarded_by_field, forwarded_by);
    if (framed || !request.body().empty()) append_length(out, request.body().size());
    out.append("\r\n");
    out.append(request.body());
}

void serialize_forwarded(const http::response<http::string_body>& owner_answer, unsigned client_version,
                         bool keep_alive, bool head, std::string& out) {
    const auto connections = owner_answer.equal_range(http::field::connection);
    bool connection_names_fields = false;
    for (auto field = connections.first; field != connections.second; ++field) {
        connection_names_fields = connection_names_fields || names_other_fields(field->value());
    }
    const auto owner_connection_lists = [&](std::string_view name) {
        for (auto field = connections.first; field != connections.second; ++field) {
            if (lists(field->value(), name)) return true;
        }
        return false;
    };

    out.clear();
    out.append(client_version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    const unsigned status = owner_answer.result_int();
    append_number(out, status);
    out.push_back(' ');
    const auto reason = owner_answer.reason();
    out.append(reason.data(), reason.size());
    out.append("\r\n");
    bool has_length = false;
    for (const auto& field : owner_answer) {
        if (hop_by_hop(field.name())) continue;
        const auto name = field.name_string();
        if (connection_names_fields && owner_connection_lists(name)) continue;
        has_length = has_length || field.name() == http::field::content_length;
        append_field(out, name, field.value());
    }
    const bool body = allows_body(status) && !head;
    // Chunks or a close-delimited body were read whole; a HEAD answer without a length has none to give.
    if (body && !has_length) append_length(out, owner_answer.body().size());
    if (client_version == 10 && keep_alive) out.append("Connection: keep-alive\r\n");
    if (client_version != 10 && !keep_alive) out.append("Connection: close\r\n");
    out.append("\r\n");
    if (body) out.append(owner_answer.body());
}

}  // namespace progressd
