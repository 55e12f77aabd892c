#include "handlers/json/catalog_json.hpp"

#include "handlers/json/json_io.hpp"
#include "handlers/json/json_text.hpp"
#include "store/ids.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <stdexcept>
#include <unordered_set>

namespace progressd {
namespace {

constexpr double max_duration_seconds = 1e7;  // as for pings
constexpr std::size_t max_type_bytes = 64;
constexpr std::size_t max_title_bytes = 1024;
constexpr std::size_t max_attributes_bytes = 16 * 1024;
constexpr std::size_t max_children = 10000;
constexpr std::size_t max_reported_errors = 50;

constexpr std::string_view id_rule = "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -";

void read_children(field_reader& fields, store::content_entry& out) {
    const auto* value = fields.raw("children");
    if (!value) return;
    if (!value->is_array() || value->as_array().size() > max_children) {
        fields.fail("children", "must be an array of at most 10000 content ids");
        return;
    }
    std::unordered_set<std::string_view> seen;
    for (std::size_t i = 0; i < value->as_array().size(); ++i) {
        const auto& child = value->as_array()[i];
        const std::string name = "children[" + std::to_string(i) + "]";
        if (!child.is_string() || !store::is_valid_id(child.as_string())) {
            fields.fail(name, id_rule);
        } else if (!seen.insert(child.as_string()).second) {
            fields.fail(name, "is listed twice");
        } else if (child.as_string() == out.id) {
            fields.fail(name, "is the entry itself");
        } else {
            out.children.emplace_back(child.as_string());
        }
    }
}

}  // namespace

boost::json::object content_entry_to_json(const store::content_entry& entry) {
    boost::json::array children;
    children.reserve(entry.children.size());
    for (const auto& child : entry.children) children.emplace_back(child);
    boost::json::value attributes = boost::json::object{};
    if (!entry.attributes.empty()) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(entry.attributes, ec);
        if (!ec) attributes = std::move(parsed);
    }
    boost::json::object json{
        {"id", entry.id},
        {"type", entry.type},
        {"title", entry.title},
        {"duration_seconds", nullptr},
        {"parent_id", nullptr},
        {"children", std::move(children)},
        {"optional", entry.optional},
        {"attributes", std::move(attributes)},
        {"learned", entry.learned},
        {"updated_at", entry.updated_at},
    };
    if (entry.duration_seconds) json["duration_seconds"] = *entry.duration_seconds;
    if (!entry.parent_id.empty()) json["parent_id"] = entry.parent_id;
    return json;
}

std::optional<api_error> parse_content_entry(const boost::json::object& body, const std::string& prefix,
                                             std::optional<std::string_view> path_id, store::content_entry& out) {
    field_reader fields(body, prefix);
    if (path_id) {
        out.id = std::string(*path_id);
        if (const auto* id = fields.raw("id"); id && !(id->is_string() && id->as_string() == *path_id)) {
            fields.fail("id", "must equal the id in the path");
        }
    } else if (auto id = fields.id("id", true)) {
        out.id = std::move(*id);
    }
    out.type = fields.text("type", max_type_bytes).value_or("content");
    out.title = fields.text("title", max_title_bytes).value_or("");
    out.duration_seconds = fields.number("duration_seconds", max_duration_seconds);
    if (const auto* parent = fields.raw("parent_id"); parent && !(parent->is_string() && parent->as_string().empty())) {
        if (auto id = fields.id("parent_id", false)) {
            if (*id == out.id) {
                fields.fail("parent_id", "is the entry itself");
            } else {
                out.parent_id = std::move(*id);
            }
        }
    }
    read_children(fields, out);
    if (const auto* optional = fields.raw("optional")) {
        if (optional->is_bool()) {
            out.optional = optional->as_bool();
        } else {
            fields.fail("optional", "must be true or false");
        }
    }
    out.attributes = fields.object_text("attributes", max_attributes_bytes).value_or("");
    if (out.attributes == "{}") out.attributes.clear();
    if (!fields.ok()) return fields.error();
    return std::nullopt;
}

std::optional<api_error> parse_content_entries(const boost::json::value& body, std::size_t max_entries,
                                              std::vector<store::content_entry>& out) {
    const boost::json::array* list = nullptr;
    std::string prefix;
    if (body.is_array()) {
        list = &body.as_array();
    } else if (const auto* object = body.if_object()) {
        if (const auto* contents = object->if_contains("contents"); contents && contents->is_array()) {
            list = &contents->as_array();
            prefix = "contents";
        }
    }
    if (!list) return api_error::field(error_code::validation, "body", "must be an array of content entries");
    if (list->size() > max_entries) {
        return api_error::field(error_code::validation, prefix.empty() ? "body" : prefix,
                                "holds more than " + std::to_string(max_entries) + " entries; split it");
    }
    api_error failed{error_code::validation, {}, {}, {}};
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string item = prefix + "[" + std::to_string(i) + "]";
        store::content_entry entry;
        std::optional<api_error> error;
        if (!(*list)[i].is_object()) {
            error = api_error::field(error_code::validation, item, "must be an object");
        } else {
            error = parse_content_entry((*list)[i].as_object(), item + ".", std::nullopt, entry);
        }
        if (!error) {
            out.push_back(std::move(entry));
            continue;
        }
        for (auto& field : error->errors) {
            if (failed.errors.size() < max_reported_errors) failed.errors.push_back(std::move(field));
        }
    }
    if (failed.errors.empty()) return std::nullopt;
    for (const auto& field : failed.errors) {
        if (!failed.detail.empty()) failed.detail += "; ";
        failed.detail += field.field + " " + field.message;
    }
    out.clear();
    return failed;
}

std::vector<store::content_entry> parse_catalog_file(std::string_view text) {
    boost::json::parse_options options;
    options.max_depth = 32;
    boost::system::error_code ec;
    const auto value = boost::json::parse(text, ec, {}, options);
    if (ec) throw std::runtime_error("not valid JSON: " + ec.message());
    std::vector<store::content_entry> entries;
    if (auto error = parse_content_entries(value, SIZE_MAX, entries)) throw std::runtime_error(error->detail);
    return entries;
}

}  // namespace progressd
