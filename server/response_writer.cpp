#include "server/response_writer.hpp"

#include <charconv>

namespace progressd {

void serialize_response(const http_response& response, std::string& out) {
    out.clear();
    out.append(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    char code[4];
    const auto [end, ec] = std::to_chars(code, code + sizeof code, response.result_int());
    out.append(code, end);
    out.push_back(' ');
    const auto reason = response.reason();
    out.append(reason.data(), reason.size());
    out.append("\r\n");
    for (const auto& field : response) {
        const auto name = field.name_string();
        const auto value = field.value();
        out.append(name.data(), name.size());
        out.append(": ");
        out.append(value.data(), value.size());
        out.append("\r\n");
    }
    out.append("\r\n");
    out.append(response.body());
}

}  // namespace progressd
