#include "store/codec/record_codec.hpp"

#include "store/codec/byte_codec.hpp"
#include "store/codec/record_parts.hpp"

#include <cstdint>

namespace progressd::store {
namespace {

constexpr std::uint8_t record_format = 1;
// Optional sections after the fixed fields, each a tag then its payload, in increasing tag order,
// each present only when it holds something.
constexpr std::uint8_t coverage_section = 1;  // two words: the watched-coverage map
constexpr std::uint8_t flags_section = 2;     // one byte: bit 0 hidden from continue watching, bit 1 below
constexpr std::uint8_t flag_hidden = 1;
// Bit 1: the position's ts is 0. The fixed field holds 0 for "no ts" as well, as it always has
// (records written before ts 0 was told apart read as before); this bit is the difference.
constexpr std::uint8_t flag_ts_zero = 2;
constexpr std::uint8_t annotations_section = 3;  // put_annotations (record_parts.hpp)
// The replay windows of the sessions before the most recent (whose window is a fixed field, as it
// always was): a count byte (1 to max_sessions - 1), then each window, most recent first.
constexpr std::uint8_t older_sessions_section = 4;

// The older sessions' windows: 1 to max_sessions - 1 of them, each a session, all distinct and
// distinct from the most recent one, which must be there.
bool decode_older_sessions(byte_reader& r, replay_window& replay) {
    std::uint8_t count = 0;
    if (!r.get(count) || count == 0 || count >= replay_window::max_sessions || replay.newest.session_hash == 0) {
        return false;
    }
    replay.older = std::make_unique<replay_window::older_windows>();
    for (std::size_t i = 0; i < count; ++i) {
        session_window& window = (*replay.older)[i];
        if (!get_window(r, window) || window.session_hash == 0) return false;
        for (std::size_t j = 0; j <= i; ++j) {
            if (replay.at(j).session_hash == window.session_hash) return false;
        }
    }
    return true;
}

}  // namespace

void encode_key(std::string& out, std::string_view user_id, const record_key& key) {
    out.clear();
    out.reserve(user_id.size() + key.context_id.size() + key.content_id.size() + 2);
    out.append(user_id);
    out.push_back('\0');
    out.append(key.context_id);
    out.push_back('\0');
    out.append(key.content_id);
}

std::optional<decoded_key> decode_key(std::string_view bytes) {
    const auto first = bytes.find('\0');
    if (first == std::string_view::npos || first == 0) return std::nullopt;
    const auto second = bytes.find('\0', first + 1);
    if (second == std::string_view::npos || second + 1 == bytes.size()) return std::nullopt;
    const auto content = bytes.substr(second + 1);
    if (content.find('\0') != std::string_view::npos) return std::nullopt;
    return decoded_key{bytes.substr(0, first), bytes.substr(first + 1, second - first - 1), content};
}

void encode_record(std::string& out, const progress_record& record) {
    out.clear();
    out.reserve(128 + record.mimetype.size() + record.details.size());
    byte_writer w(out);
    w.put(record_format);
    out.append(reinterpret_cast<const char*>(record.record_id.data()), record.record_id.size());
    w.put(static_cast<std::uint8_t>(record.status));
    w.put(record.progress_percent);
    w.put(record.position_seconds);
    w.put(record.duration_seconds);
    w.put(record.time_spent_seconds);
    w.put(record.views);
    w.put(record.position_ts == no_position_ts ? std::int64_t{0} : record.position_ts);
    w.put(record.first_accessed_at);
    w.put(record.last_accessed_at);
    w.put(record.updated_at);
    w.put(record.completed_at);
    put_window(w, record.replay.newest);
    w.put_string<std::uint16_t>(record.mimetype);
    w.put_string<std::uint32_t>(record.details);
    if (record.watched[0] != 0 || record.watched[1] != 0) {
        w.put(coverage_section);
        w.put(record.watched[0]);
        w.put(record.watched[1]);
    }
    if (const std::uint8_t flags = (record.hidden ? flag_hidden : 0) | (record.position_ts == 0 ? flag_ts_zero : 0)) {
        w.put(flags_section);
        w.put(flags);
    }
    if (record.annotations && !record.annotations->empty()) {
        w.put(annotations_section);
        put_annotations(w, *record.annotations);
    }
    if (const std::size_t sessions = record.replay.sessions(); sessions > 1) {
        w.put(older_sessions_section);
        w.put(static_cast<std::uint8_t>(sessions - 1));
        for (std::size_t i = 1; i < sessions; ++i) put_window(w, record.replay.at(i));
    }
}

std::optional<progress_record> decode_record(std::string_view bytes) {
    byte_reader r(bytes);
    progress_record record;
    std::uint8_t format = 0;
    std::uint8_t status = 0;
    if (!r.get(format) || format != record_format) return std::nullopt;
    for (auto& byte : record.record_id) {
        if (!r.get(byte)) return std::nullopt;
    }
    const bool complete = r.get(status) && r.get(record.progress_percent) && r.get(record.position_seconds) &&
                          r.get(record.duration_seconds) && r.get(record.time_spent_seconds) && r.get(record.views) &&
                          r.get(record.position_ts) && r.get(record.first_accessed_at) &&
                          r.get(record.last_accessed_at) && r.get(record.updated_at) && r.get(record.completed_at) &&
                          get_window(r, record.replay.newest) && r.get_string<std::uint16_t>(record.mimetype) &&
                          r.get_string<std::uint32_t>(record.details);
    if (!complete || status > static_cast<std::uint8_t>(progress_status::completed)) return std::nullopt;
    // On disk "no timestamp" is 0, never the in-memory no_position_ts, which would encode back as
    // 0: refused, so that every value that decodes encodes back to the same bytes.
    if (record.position_ts == no_position_ts) return std::nullopt;
    bool ts_zero = false;
    std::uint8_t last_section = 0;
    while (!r.at_end()) {
        std::uint8_t section = 0;
        if (!r.get(section) || section <= last_section) return std::nullopt;
        last_section = section;
        if (section == coverage_section) {
            const bool valid = r.get(record.watched[0]) && r.get(record.watched[1]) &&
                               (record.watched[0] != 0 || record.watched[1] != 0) && valid_coverage(record.watched);
            if (!valid) return std::nullopt;
        } else if (section == flags_section) {
            std::uint8_t flags = 0;
            if (!r.get(flags) || flags == 0 || (flags & ~(flag_hidden | flag_ts_zero)) != 0) return std::nullopt;
            if ((flags & flag_ts_zero) && record.position_ts != 0) return std::nullopt;
            record.hidden = (flags & flag_hidden) != 0;
            ts_zero = (flags & flag_ts_zero) != 0;
        } else if (section == annotations_section) {
            record.annotations = get_annotations(r);
            if (!record.annotations) return std::nullopt;
        } else if (section == older_sessions_section) {
            if (!decode_older_sessions(r, record.replay)) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    if (record.position_ts == 0 && !ts_zero) record.position_ts = no_position_ts;
    record.status = static_cast<progress_status>(status);
    return record;
}

}  // namespace progressd::store
