#pragma once
// Optional ping `segments` (docs/data-model.md rule 6): [[from_s, to_s], ...], the parts a player
// reports as actually played. At most 100 pairs of 0 ≤ from ≤ to ≤ 10⁷ seconds.

#include "handlers/json/json_io.hpp"
#include "store/ping.hpp"

namespace progressd {

void read_segments(field_reader& fields, store::ping& out);

}  // namespace progressd
