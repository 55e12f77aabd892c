#pragma once
// The merge rules (docs/data-model.md) as one pure function: no locks, clocks or I/O. The shard calls
// it under its lock; the unit tests call it directly.

#include "store/completion.hpp"
#include "store/ping.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace progressd::store {

struct merge_rules {
    double completion_threshold = 95;  // percent, of the default rule
    completion_policy default_policy = completion_policy::furthest;
    // Overrides, the first match winning: content type (the ping's content_type, from the
    // catalog) before mimetype (the ping's, else the record's last reported).
    std::vector<completion_override> overrides{};

    completion_rule rule_for(std::string_view content_type, std::string_view mimetype) const;
    bool has_type_overrides() const;
};

struct merge_outcome {
    bool duplicate = false;  // (session_id, seq) already applied: nothing changed
    bool became_completed = false;
    bool first_access = false;  // the record had never been accessed: the user's first ping on it
};

// Applies one ping to a record. `now_ms` is the server's arrival time. A brand-new record is a
// default-constructed one with first_accessed_at == 0.
merge_outcome merge(progress_record& record, const ping& observation, const merge_rules& rules, std::int64_t now_ms);

}  // namespace progressd::store
