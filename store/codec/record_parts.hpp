#pragma once
// The parts of a progress record that more than one byte format writes the same way: a record's
// annotations and a session's replay window. The LMDB record value (record_codec) and the
// PostgreSQL record row's `extra` column (store/postgres/record_extra) both carry them, so both
// read and write them here and cannot drift apart.

#include "store/codec/byte_codec.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <memory>

namespace progressd::store {

// Annotations: a flags byte (bit 0 bookmarked), the notes, the metadata.
inline void put_annotations(byte_writer& w, const record_annotations& annotations) {
    constexpr std::uint8_t flag_bookmarked = 1;
    w.put(annotations.bookmarked ? flag_bookmarked : std::uint8_t{0});
    w.put_string<std::uint16_t>(annotations.notes);
    w.put_string<std::uint16_t>(annotations.metadata);
}

// Null when the bytes are not annotations, or are empty ones (which are never written).
inline std::shared_ptr<record_annotations> get_annotations(byte_reader& r) {
    constexpr std::uint8_t flag_bookmarked = 1;
    auto annotations = std::make_shared<record_annotations>();
    std::uint8_t flags = 0;
    const bool valid = r.get(flags) && (flags & ~flag_bookmarked) == 0 &&
                       r.get_string<std::uint16_t>(annotations->notes) &&
                       r.get_string<std::uint16_t>(annotations->metadata);
    annotations->bookmarked = flags == flag_bookmarked;
    if (!valid || annotations->empty()) return nullptr;
    return annotations;
}

// A replay window: the session's hash, its highest seq, the bits of the seqs below it seen.
inline void put_window(byte_writer& w, const session_window& window) {
    w.put(window.session_hash);
    w.put(window.highest_seq);
    w.put(window.seen_bits);
}

inline bool get_window(byte_reader& r, session_window& window) {
    return r.get(window.session_hash) && r.get(window.highest_seq) && r.get(window.seen_bits);
}

}  // namespace progressd::store
