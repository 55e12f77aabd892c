#pragma once
// The LMDB encoding of catalog entries, in the `catalog` named database.
//
// Key: the content id. Value: a version byte, a flags byte (optional, learned, duration known),
// the duration and updated_at, then type, title, parent_id, attributes and the children, each
// length-prefixed. Decoding checks every length and that the value's id-valued fields are ids.

#include "store/catalog.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

std::string encode_catalog_entry(const content_entry& entry);
// `id` is the LMDB key; nullopt when the value is damaged or the ids are not valid ids.
std::optional<content_entry> decode_catalog_entry(std::string_view id, std::string_view bytes);

}  // namespace progressd::store
