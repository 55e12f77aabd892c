#pragma once
// The `extra` column of a record row: the parts of a record that are rare, binary or opaque
// (the watched-coverage map, the details JSON, the learner's annotations, the replay windows of
// the sessions seen), in one bytea, so that every field a report needs is a real column and the
// rest costs nothing on the rows that do not have it: a record with none of them stores NULL.
//
// Encoding (byte_codec's little-endian building blocks): a version byte, then tagged sections in
// increasing tag order, each present only when it holds something: 0x01 the coverage map (two
// words); 0x02 the details (u32 length, bytes); 0x03 the annotations (a flags byte, bit 0
// bookmarked, then notes and metadata with u16 lengths); 0x04 the replay windows (a count 1–4,
// then each window, most recent first: session hash, highest seq, seen bits). Decoding checks
// every length, tag and invariant, like store/codec/record_codec.hpp, so a damaged value is
// reported, never trusted.

#include "store/record.hpp"

#include <string>
#include <string_view>

namespace progressd::store {

// Appends nothing when the record has none of these parts (the column is then NULL).
void encode_record_extra(std::string& out, const progress_record& record);
// Sets those parts of `record` from `bytes`; false when the bytes are damaged.
bool decode_record_extra(std::string_view bytes, progress_record& record);

}  // namespace progressd::store
