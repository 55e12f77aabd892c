#include "store/codec/catalog_codec.hpp"

#include "store/codec/byte_codec.hpp"
#include "store/ids.hpp"

#include <cmath>
#include <cstdint>

namespace progressd::store {
namespace {

constexpr std::uint8_t entry_format = 1;
constexpr std::uint8_t flag_optional = 1;
constexpr std::uint8_t flag_learned = 2;
constexpr std::uint8_t flag_duration = 4;

}  // namespace

std::string encode_catalog_entry(const content_entry& entry) {
    std::string out;
    out.reserve(64 + entry.title.size() + entry.attributes.size() + entry.children.size() * 24);
    byte_writer w(out);
    w.put(entry_format);
    std::uint8_t flags = 0;
    if (entry.optional) flags |= flag_optional;
    if (entry.learned) flags |= flag_learned;
    if (entry.duration_seconds) flags |= flag_duration;
    w.put(flags);
    w.put(entry.duration_seconds.value_or(0.0));
    w.put(entry.updated_at);
    w.put_string<std::uint16_t>(entry.type);
    w.put_string<std::uint16_t>(entry.title);
    w.put_string<std::uint16_t>(entry.parent_id);
    w.put_string<std::uint32_t>(entry.attributes);
    w.put(static_cast<std::uint32_t>(entry.children.size()));
    for (const auto& child : entry.children) w.put_string<std::uint8_t>(child);
    return out;
}

std::optional<content_entry> decode_catalog_entry(std::string_view id, std::string_view bytes) {
    if (!is_valid_id(id)) return std::nullopt;
    byte_reader r(bytes);
    content_entry entry;
    entry.id = std::string(id);
    std::uint8_t format = 0;
    std::uint8_t flags = 0;
    double duration = 0;
    std::uint32_t children = 0;
    if (!r.get(format) || format != entry_format) return std::nullopt;
    const bool complete = r.get(flags) && r.get(duration) && r.get(entry.updated_at) &&
                          r.get_string<std::uint16_t>(entry.type) && r.get_string<std::uint16_t>(entry.title) &&
                          r.get_string<std::uint16_t>(entry.parent_id) &&
                          r.get_string<std::uint32_t>(entry.attributes) && r.get(children);
    if (!complete || children > bytes.size()) return std::nullopt;
    entry.children.resize(children);
    for (auto& child : entry.children) {
        if (!r.get_string<std::uint8_t>(child) || !is_valid_id(child)) return std::nullopt;
    }
    if (!r.at_end() || (flags & ~(flag_optional | flag_learned | flag_duration)) != 0) return std::nullopt;
    if (!entry.parent_id.empty() && !is_valid_id(entry.parent_id)) return std::nullopt;
    entry.optional = flags & flag_optional;
    entry.learned = flags & flag_learned;
    if (flags & flag_duration) {
        if (!std::isfinite(duration) || duration < 0) return std::nullopt;
        entry.duration_seconds = duration;
    }
    return entry;
}

}  // namespace progressd::store
