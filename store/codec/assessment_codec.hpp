#pragma once
// The LMDB encoding of assessment states, in the `assessments` named database. The key is the
// record's (record_codec's encode_key), so a user's states sort together. Value: a version byte,
// the counters, then each kept attempt (id, score, max score, submitted_at, passed).

#include "store/assessments.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

std::string encode_assessment_state(const assessment_state& state);
std::optional<assessment_state> decode_assessment_state(std::string_view bytes);

}  // namespace progressd::store
