#pragma once
// The LMDB encoding of progress records.
//
// Key: user_id '\0' context_id '\0' content_id. Ids never contain '\0' (store/ids.hpp), so the
// key splits unambiguously, and all of one user's records sort together in LMDB.
// Value: a version byte, then the fixed-size fields little-endian, then the two strings with
// length prefixes, then optional tagged sections in increasing tag order, each present only when
// it holds something (so a record without them encodes as it always did): 0x01 and the two words
// of the watched-coverage map; 0x02 and a flags byte (hidden from continue watching); 0x03 and the learner's
// annotations (a flags byte, bit 0 bookmarked, then notes and metadata with length prefixes); 0x04
// and the replay windows of the sessions seen before the most recent one (a count, then each
// window). The most recent session's window is a fixed field, so a record written before sessions
// were remembered several to a record decodes unchanged, with that one session.
// Decoding checks every length and tag, so a damaged value is reported, never trusted.

#include "store/record.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct decoded_key {
    std::string_view user_id;
    std::string_view context_id;
    std::string_view content_id;
};

void encode_key(std::string& out, std::string_view user_id, const record_key& key);
std::optional<decoded_key> decode_key(std::string_view bytes);

void encode_record(std::string& out, const progress_record& record);
std::optional<progress_record> decode_record(std::string_view bytes);

}  // namespace progressd::store
