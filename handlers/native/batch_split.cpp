#include "handlers/native/batch_split.hpp"

#include "handlers/json/json_text.hpp"
#include "handlers/problem.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <system_error>

namespace progressd {
namespace {

namespace json = boost::json;

// Parsed as the handlers parse a body (parse_json_body: depth at most 32), into `arena`.
std::optional<json::value> parse(std::string_view text, json::monotonic_resource& arena) {
    json::parse_options options;
    options.max_depth = 32;
    boost::system::error_code ec;
    auto value = json::parse(text, ec, &arena, options);
    if (ec) return std::nullopt;
    return value;
}

std::string_view user_of(const json::value& ping) {
    if (!ping.is_object()) return {};
    const auto* user = ping.as_object().if_contains("user_id");
    if (user == nullptr || !user->is_string()) return {};
    return std::string_view(user->get_string());
}

// A part's item names its fields by the part's own indices ("pings[1].position_seconds"); the
// client reads them against the batch it sent ("pings[7].position_seconds").
void renumber_fields(json::value& item, std::span<const std::size_t> positions) {
    constexpr std::string_view prefix = "pings[";
    auto* error = item.is_object() ? item.as_object().if_contains("error") : nullptr;
    auto* errors = error != nullptr && error->is_object() ? error->as_object().if_contains("errors") : nullptr;
    if (errors == nullptr || !errors->is_array()) return;
    for (auto& entry : errors->as_array()) {
        auto* field = entry.is_object() ? entry.as_object().if_contains("field") : nullptr;
        if (field == nullptr || !field->is_string()) continue;
        const std::string_view name = field->get_string();
        if (!name.starts_with(prefix)) continue;
        const auto close = name.find(']', prefix.size());
        if (close == std::string_view::npos) continue;
        std::size_t index = 0;
        const auto digits = name.substr(prefix.size(), close - prefix.size());
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
        if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || index >= positions.size()) continue;
        std::string renamed(prefix);
        renamed.append(std::to_string(positions[index]));
        renamed.append(name.substr(close));
        *field = json::string(renamed, field->storage());
    }
}

}  // namespace

std::optional<batch_parts> split_batch(std::string_view body, std::size_t group_count,
                                       const std::function<std::size_t(std::string_view)>& group_of) {
    json::monotonic_resource arena;
    const auto value = parse(body, arena);
    if (!value || !value->is_object()) return std::nullopt;
    const auto& batch = value->as_object();
    const auto* pings = batch.if_contains("pings");
    if (pings == nullptr || !pings->is_array() || pings->as_array().empty()) return std::nullopt;
    const auto& items = pings->as_array();

    batch_parts parts;
    parts.ping_count = items.size();
    parts.positions.resize(group_count);
    for (std::size_t i = 0; i < items.size(); ++i) parts.positions.at(group_of(user_of(items[i]))).push_back(i);

    // Each part is the batch itself with its own pings: any other member the batch had travels
    // with every part, so each part is read as the whole would have been.
    parts.bodies.resize(group_count);
    for (std::size_t group = 0; group < group_count; ++group) {
        const auto& positions = parts.positions[group];
        if (positions.empty()) continue;
        json::array own(&arena);
        own.reserve(positions.size());
        for (const std::size_t at : positions) own.push_back(items[at]);
        json::object part(batch, &arena);
        part["pings"] = std::move(own);
        parts.bodies[group] = to_json_text(part);
    }
    return parts;
}

std::string batch_error_item(const api_error& error) {
    std::string item = "{\"status\":";
    append_json_integer(item, status_of(error.code));
    item.append(",\"error\":");
    append_json(item, problem_body(error));
    item.push_back('}');
    return item;
}

std::string batch_failed_item(unsigned status, std::string_view answer_body, const api_error& otherwise) {
    json::monotonic_resource arena;
    const auto value = parse(answer_body, arena);
    if (!value || !value->is_object()) return batch_error_item(otherwise);
    std::string item = "{\"status\":";
    append_json_integer(item, status);
    item.append(",\"error\":");
    append_json(item, *value);
    item.push_back('}');
    return item;
}

bool batch_results::place(std::string_view answer_body, std::span<const std::size_t> positions) {
    json::monotonic_resource arena;
    auto value = parse(answer_body, arena);
    if (!value || !value->is_object()) return false;
    auto* results = value->as_object().if_contains("results");
    if (results == nullptr || !results->is_array() || results->as_array().size() != positions.size()) return false;
    for (const std::size_t at : positions) {
        if (at >= items_.size()) return false;
    }
    auto& items = results->as_array();
    for (std::size_t i = 0; i < positions.size(); ++i) {
        renumber_fields(items[i], positions);
        items_[positions[i]] = to_json_text(items[i]);
    }
    return true;
}

batch_results::outcome batch_results::absorb(unsigned status, std::string_view answer_body,
                                             std::span<const std::size_t> positions) {
    const api_error unreadable{error_code::unavailable, "the node that served these pings answered unreadably; retry", {}, {}};
    if (status == 200) {
        if (place(answer_body, positions)) return outcome::placed;
        fill(batch_error_item(unreadable), positions);
        return outcome::failed;
    }
    if (status >= 500) {
        fill(batch_failed_item(status, answer_body, unreadable), positions);
        return outcome::failed;
    }
    return outcome::whole;
}

void batch_results::fill(std::string_view item, std::span<const std::size_t> positions) {
    for (const std::size_t at : positions) items_.at(at) = std::string(item);
}

bool batch_results::complete() const {
    for (const auto& item : items_) {
        if (!item) return false;
    }
    return true;
}

std::string batch_results::text() const {
    std::string text = "{\"results\":[";
    for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) text.push_back(',');
        text.append(items_[i] ? std::string_view(*items_[i]) : std::string_view("null"));
    }
    text.append("]}");
    return text;
}

}  // namespace progressd
