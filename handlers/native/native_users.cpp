// Native API, per-user views (docs/native-api.md): the paginated list of a user's records.

#include "handlers/access.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "handlers/json/record_json.hpp"
#include "handlers/problem.hpp"
#include "handlers/routes.hpp"
#include "handlers/services.hpp"


#include <charconv>
#include <cstdint>
#include <string>

namespace progressd {
namespace {

constexpr std::size_t default_page_size = 100;
constexpr std::size_t max_page_size = 1000;

// Reads a positive integer query parameter; nullopt when present but not one.
std::optional<std::size_t> positive_param(std::string_view query, std::string_view name, std::size_t fallback,
                                          std::size_t max) {
    const auto text = query_param(query, name);
    if (!text) return fallback;
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value == 0 || value > max) return std::nullopt;
    return value;
}

// The link to another page, as a JSON string (the path user is echoed as the client wrote it).
void append_page_link(std::string& out, std::string_view path_user, std::size_t page, std::size_t page_size) {
    append_json_string(out, "/v1/users/" + std::string(path_user) + "/progress?page=" + std::to_string(page) +
                                "&page_size=" + std::to_string(page_size));
}

handler_result list_progress(services& context, request_context& request) {
    if (auto loading = refuse_while_loading(context)) return {write_problem(*loading)};
    const std::string_view path_user = request.params[0];
    std::string user_id;
    if (auto error = resolve_subject(*request.principal, std::string(path_user), "user_id", user_id)) {
        return {write_problem(*error)};
    }
    const auto page_size = positive_param(request.query, "page_size", default_page_size, max_page_size);
    if (!page_size) return {write_problem(api_error::field(error_code::validation, "page_size", "must be 1 to 1000"))};
    // Bound the page so page × page_size cannot overflow.
    const auto page = positive_param(request.query, "page", 1, std::size_t{1} << 32);
    if (!page) return {write_problem(api_error::field(error_code::validation, "page", "must be a positive integer"))};

    const auto listing = context.data.records().list_user(user_id, (*page - 1) * *page_size, *page_size);
    // Written as text directly: a page holds up to 1000 records, and a DOM of them (an allocation
    // per member) cost several times the writing itself.
    std::string text;
    text.reserve(128 + listing.records.size() * typical_record_json_bytes);
    text.append("{\"count\":");
    append_json_integer(text, static_cast<std::int64_t>(listing.total));
    text.append(",\"next\":");
    if (*page * *page_size < listing.total) {
        append_page_link(text, path_user, *page + 1, *page_size);
    } else {
        text.append("null");
    }
    text.append(",\"previous\":");
    if (*page > 1) {
        append_page_link(text, path_user, *page - 1, *page_size);
    } else {
        text.append("null");
    }
    text.append(",\"results\":[");
    for (std::size_t i = 0; i < listing.records.size(); ++i) {
        if (i > 0) text.push_back(',');
        append_record_json(text, user_id, listing.records[i].first, listing.records[i].second);
    }
    text.append("]}");
    return {json_response(http::status::ok, std::move(text))};
}

}  // namespace

void register_native_user_routes(router& routes, services& context) {
    routes.add(http::verb::get, "/v1/users/{user_id}/progress", bind_handler(context, list_progress));
}

}  // namespace progressd
