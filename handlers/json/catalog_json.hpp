#pragma once
// JSON shapes of catalog entries (docs/native-api.md, "Catalog"): one entry ⇄ store::content_entry,
// and lists of entries as the import endpoint and the --catalog file carry them.

#include "handlers/api_error.hpp"
#include "store/catalog.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

boost::json::object content_entry_to_json(const store::content_entry& entry);

// Reads one entry. `path_id`, when given, is the id from the URL: the body's `id` may be absent
// or must equal it. Field names in errors carry `prefix` (e.g. "[3].").
std::optional<api_error> parse_content_entry(const boost::json::object& body, const std::string& prefix,
                                             std::optional<std::string_view> path_id, store::content_entry& out);

// A list of entries: a JSON array, or an object {"contents": [...]}. All or nothing: any bad
// entry fails the whole list, naming each bad field by its path ("[3].children").
std::optional<api_error> parse_content_entries(const boost::json::value& body, std::size_t max_entries,
                                              std::vector<store::content_entry>& out);

// The --catalog file: the same list as JSON text. Throws std::runtime_error saying what is wrong.
std::vector<store::content_entry> parse_catalog_file(std::string_view text);

}  // namespace progressd
