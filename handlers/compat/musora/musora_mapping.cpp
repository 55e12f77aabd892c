#include "handlers/compat/musora/musora_mapping.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <cmath>

namespace progressd::musora {
namespace {

// Neutral values for the document's fields that belong to the rest of the platform (playlists,
// likes, XP, publishing; docs/data-model.md, "Not in progressd") when the attributes lack them.
void put_default(boost::json::object& json, std::string_view key, boost::json::value value) {
    if (!json.contains(key)) json[key] = std::move(value);
}

boost::json::object attributes_of(const store::content_entry* entry) {
    if (!entry || entry->attributes.empty()) return {};
    boost::system::error_code ec;
    auto parsed = boost::json::parse(entry->attributes, ec);
    if (ec || !parsed.is_object()) return {};
    return std::move(parsed.as_object());
}

// Musora reports whole percentages.
std::int64_t whole_percent(double percent) { return static_cast<std::int64_t>(std::lround(percent)); }

std::string seconds_text(double seconds) { return std::to_string(static_cast<std::int64_t>(std::lround(seconds))); }

// id, type, title and the attributes, in that order; the progress fields come after and win
// over attributes of the same name.
boost::json::object base_json(const store::catalog_snapshot& catalog, const store::node_progress& node) {
    const auto* entry = catalog.find(node.content_id);
    boost::json::object json{{"id", id_value(node.content_id)}};
    json["type"] = entry ? boost::json::value(entry->type) : boost::json::value(nullptr);
    json["title"] = entry ? boost::json::value(entry->title) : boost::json::value(nullptr);
    for (auto& [key, value] : attributes_of(entry)) {
        if (key != "id") json[key] = std::move(value);
    }
    json["completed"] = node.status == store::progress_status::completed;
    json["started"] = node.status != store::progress_status::not_started;
    json["progress_percent"] = whole_percent(node.progress_percent);
    put_default(json, "published_on", nullptr);
    put_default(json, "thumbnail_url", nullptr);
    put_default(json, "is_added_to_primary_playlist", false);
    return json;
}

}  // namespace

boost::json::value id_value(std::string_view id) {
    const bool digits = !id.empty() && (id.size() == 1 || id.front() != '0') &&
                        id.find_first_not_of("0123456789") == std::string_view::npos;
    std::int64_t number = 0;
    if (digits) {
        const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
        if (ec == std::errc() && end == id.data() + id.size()) return number;
    }
    return boost::json::string(id);
}

boost::json::object lesson_to_json(const store::catalog_snapshot& catalog, const store::node_progress& lesson) {
    auto json = base_json(catalog, lesson);
    // The attribute when given (as text), else the catalog's duration.
    if (auto* length = json.if_contains("length_in_seconds"); length && length->is_number()) {
        *length = seconds_text(length->to_number<double>());
    } else if (!length || !length->is_string()) {
        json["length_in_seconds"] = lesson.duration_seconds ? boost::json::value(seconds_text(*lesson.duration_seconds))
                                                            : boost::json::value(nullptr);
    }
    return json;
}

boost::json::object parent_to_json(const store::catalog_snapshot& catalog, const store::node_progress& parent) {
    auto json = base_json(catalog, parent);
    put_default(json, "status", "published");
    put_default(json, "instructors", boost::json::array{});
    put_default(json, "description", nullptr);
    put_default(json, "xp", 0);
    put_default(json, "xp_bonus", "0");
    if (!json.contains("duration")) {
        json["duration"] = parent.duration_seconds ? boost::json::value(std::lround(*parent.duration_seconds))
                                                   : boost::json::value(nullptr);
    }
    put_default(json, "like_count", 0);
    boost::json::array lessons;
    boost::json::value current = nullptr;
    for (const auto& child : parent.children) {
        auto lesson = lesson_to_json(catalog, child);
        if (child.content_id == parent.current_child_id) current = lesson;
        lessons.push_back(std::move(lesson));
    }
    json["current_lesson"] = std::move(current);
    json["lessons"] = std::move(lessons);
    put_default(json, "instructor", boost::json::array{});
    return json;
}

}  // namespace progressd::musora
