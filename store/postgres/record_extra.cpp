#include "store/postgres/record_extra.hpp"

#include "store/codec/byte_codec.hpp"
#include "store/codec/record_parts.hpp"

#include <cstdint>
#include <memory>

namespace progressd::store {
namespace {

constexpr std::uint8_t extra_format = 1;
constexpr std::uint8_t coverage_section = 1;
constexpr std::uint8_t details_section = 2;
constexpr std::uint8_t annotations_section = 3;
constexpr std::uint8_t sessions_section = 4;

// The windows to keep: the most recent one whenever it holds anything, the older ones as far as
// sessions() counts them (the same bound record_codec keeps).
std::size_t windows_to_keep(const replay_window& replay) {
    const std::size_t sessions = replay.sessions();
    if (sessions > 0) return sessions;
    return replay.newest == session_window{} ? 0 : 1;
}

bool decode_sessions(byte_reader& r, replay_window& replay) {
    std::uint8_t count = 0;
    if (!r.get(count) || count == 0 || count > replay_window::max_sessions) return false;
    for (std::size_t i = 0; i < count; ++i) {
        session_window window;
        if (!get_window(r, window)) return false;
        if (i == 0) {
            // Only a lone window may be without a session (a window that never named one).
            if (window.session_hash == 0 && count > 1) return false;
            replay.newest = window;
            continue;
        }
        if (window.session_hash == 0) return false;
        for (std::size_t j = 0; j < i; ++j) {
            if (replay.at(j).session_hash == window.session_hash) return false;
        }
        if (!replay.older) replay.older = std::make_unique<replay_window::older_windows>();
        (*replay.older)[i - 1] = window;
    }
    return true;
}

}  // namespace

void encode_record_extra(std::string& out, const progress_record& record) {
    const bool coverage = record.watched[0] != 0 || record.watched[1] != 0;
    const bool details = !record.details.empty();
    const bool annotations = record.annotations && !record.annotations->empty();
    const std::size_t windows = windows_to_keep(record.replay);
    if (!coverage && !details && !annotations && windows == 0) return;

    byte_writer w(out);
    w.put(extra_format);
    if (coverage) {
        w.put(coverage_section);
        w.put(record.watched[0]);
        w.put(record.watched[1]);
    }
    if (details) {
        w.put(details_section);
        w.put_string<std::uint32_t>(record.details);
    }
    if (annotations) {
        w.put(annotations_section);
        put_annotations(w, *record.annotations);
    }
    if (windows > 0) {
        w.put(sessions_section);
        w.put(static_cast<std::uint8_t>(windows));
        for (std::size_t i = 0; i < windows; ++i) put_window(w, record.replay.at(i));
    }
}

bool decode_record_extra(std::string_view bytes, progress_record& record) {
    byte_reader r(bytes);
    std::uint8_t format = 0;
    if (!r.get(format) || format != extra_format || r.at_end()) return false;
    std::uint8_t last_section = 0;
    while (!r.at_end()) {
        std::uint8_t section = 0;
        if (!r.get(section) || section <= last_section) return false;
        last_section = section;
        if (section == coverage_section) {
            if (!r.get(record.watched[0]) || !r.get(record.watched[1])) return false;
            if ((record.watched[0] == 0 && record.watched[1] == 0) || !valid_coverage(record.watched)) return false;
        } else if (section == details_section) {
            if (!r.get_string<std::uint32_t>(record.details) || record.details.empty()) return false;
        } else if (section == annotations_section) {
            record.annotations = get_annotations(r);
            if (!record.annotations) return false;
        } else if (section == sessions_section) {
            if (!decode_sessions(r, record.replay)) return false;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace progressd::store
