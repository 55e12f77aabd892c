#include "store/codec/enrolment_codec.hpp"

#include "store/codec/byte_codec.hpp"
#include "store/ids.hpp"

#include <cstdint>

namespace progressd::store {
namespace {

constexpr std::uint8_t enrolment_format = 1;
constexpr std::uint8_t flag_active = 1;
constexpr std::uint8_t flag_implicit = 2;

}  // namespace

std::string encode_enrolment_key(std::string_view user_id, const enrolment_key& key) {
    std::string out;
    out.reserve(user_id.size() + key.collection_id.size() + key.context_id.size() + 2);
    out.append(user_id);
    out.push_back('\0');
    out.append(key.collection_id);
    out.push_back('\0');
    out.append(key.context_id);
    return out;
}

std::optional<decoded_enrolment_key> decode_enrolment_key(std::string_view bytes) {
    const auto first = bytes.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = bytes.find('\0', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    decoded_enrolment_key key{bytes.substr(0, first), bytes.substr(first + 1, second - first - 1),
                              bytes.substr(second + 1)};
    if (!is_valid_id(key.user_id) || !is_valid_id(key.collection_id) || !is_valid_context_id(key.context_id)) {
        return std::nullopt;
    }
    return key;
}

std::string encode_enrolment(const enrolment& value) {
    std::string out;
    out.reserve(32);
    byte_writer w(out);
    w.put(enrolment_format);
    std::uint8_t flags = 0;
    if (value.active) flags |= flag_active;
    if (value.implicit) flags |= flag_implicit;
    w.put(flags);
    w.put(value.enrolled_at);
    w.put(value.expires_at);
    w.put(value.updated_at);
    return out;
}

std::optional<enrolment> decode_enrolment(std::string_view bytes) {
    byte_reader r(bytes);
    enrolment value;
    std::uint8_t format = 0;
    std::uint8_t flags = 0;
    const bool complete = r.get(format) && format == enrolment_format && r.get(flags) && r.get(value.enrolled_at) &&
                          r.get(value.expires_at) && r.get(value.updated_at) && r.at_end();
    if (!complete || (flags & ~(flag_active | flag_implicit)) != 0) return std::nullopt;
    value.active = flags & flag_active;
    value.implicit = flags & flag_implicit;
    return value;
}

}  // namespace progressd::store
