#pragma once
// A progress record (docs/data-model.md): one per (user_id, context_id, content_id).
//
// Records are plain values. The store owns them inside its shards and hands out copies; nothing
// outside a shard lock ever sees a reference to a stored record.

#include "store/coverage.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace progressd::store {

enum class progress_status : std::uint8_t { not_started = 0, in_progress = 1, completed = 2 };

// Where a record lives within one user's data. The user is the shard key and is kept beside.
struct record_key {
    std::string context_id;  // empty: organic consumption
    std::string content_id;

    friend auto operator<=>(const record_key&, const record_key&) = default;
};

// Remembers which (session_id, seq) pings were applied, so retries are idempotent (merge rule 3).
// A sliding window of the newest 64 sequence numbers of the current session: a seq older than the
// window is treated as already applied, because double-counting time is worse than dropping a
// ping that arrives more than 64 pings late.
struct replay_window {
    std::uint64_t session_hash = 0;  // 0: no session seen yet
    std::int64_t highest_seq = -1;
    std::uint64_t seen_bits = 0;  // bit i: highest_seq - i was applied
};

// What a learner writes about a content (notes, bookmark, metadata; docs/data-model.md), set only by
// authoritative writes (the Education API's PUT). Few records ever have any, so a record holds
// them behind a pointer (null: none) instead of paying for three fields on every record the
// players write. Immutable once shared: a writer replaces the pointer, never edits through it,
// so copies of a record handed out of a shard stay valid.
struct record_annotations {
    std::string notes;     // ≤ 4 KiB
    bool bookmarked = false;
    std::string metadata;  // a serialized JSON object, ≤ 4 KiB; empty: none

    bool empty() const { return notes.empty() && !bookmarked && metadata.empty(); }
    friend bool operator==(const record_annotations&, const record_annotations&) = default;
};

struct progress_record {
    std::array<std::uint8_t, 16> record_id{};  // UUIDv4, assigned at creation
    progress_status status = progress_status::not_started;
    double progress_percent = 0;
    double position_seconds = 0;
    double duration_seconds = 0;
    double time_spent_seconds = 0;
    std::uint32_t views = 0;
    std::int64_t position_ts = 0;  // client ts (ms) of the ping that set the position; 0: none
    std::int64_t first_accessed_at = 0;
    std::int64_t last_accessed_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t completed_at = 0;  // 0: never completed
    std::string mimetype;
    std::string details;  // opaque JSON text, ≤ 4 KiB
    replay_window replay;
    coverage_map watched{};  // rule 6: which 1 % slots were played
    bool hidden = false;     // rule 7: hidden from continue watching until the next ping
    std::shared_ptr<const record_annotations> annotations;  // null: none
};

// What the hot path returns: enough to answer a ping without copying the whole record.
struct record_summary {
    progress_status status = progress_status::not_started;
    double progress_percent = 0;
    double position_seconds = 0;
    double time_spent_seconds = 0;
};

inline record_summary summarize(const progress_record& record) {
    return {record.status, record.progress_percent, record.position_seconds, record.time_spent_seconds};
}

std::string format_uuid(const std::array<std::uint8_t, 16>& bytes);

}  // namespace progressd::store
