#pragma once
// The merge rules of SPEC §2 as one pure function: no locks, no clocks, no I/O. The shard calls
// it under its lock; the unit tests call it directly.

#include "store/ping.hpp"
#include "store/record.hpp"

#include <cstdint>

namespace progressd::store {

struct merge_rules {
    double completion_threshold = 95;  // percent
};

struct merge_outcome {
    bool duplicate = false;  // (session_id, seq) already applied: nothing changed
    bool became_completed = false;
};

// Applies one ping to a record. `now_ms` is the server's arrival time. A brand-new record is a
// default-constructed one with first_accessed_at == 0.
merge_outcome merge(progress_record& record, const ping& observation, const merge_rules& rules, std::int64_t now_ms);

}  // namespace progressd::store
