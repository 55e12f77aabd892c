#pragma once
// A progress record (docs/data-model.md): one per (user_id, context_id, content_id).
//
// Records are plain values. The store owns them inside its shards and hands out copies; nothing
// outside a shard lock ever sees a reference to a stored record.

#include "store/coverage.hpp"

#include <array>
#include <cstddef>
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

// One session's part of the replay window: a sliding window of its newest 64 sequence numbers. A seq
// older than the window is treated as already applied, because double-counting time is worse than
// dropping a ping that arrives more than 64 pings late.
struct session_window {
    std::uint64_t session_hash = 0;  // 0: no session
    std::int64_t highest_seq = -1;
    std::uint64_t seen_bits = 0;  // bit i: highest_seq - i was applied

    friend bool operator==(const session_window&, const session_window&) = default;
};

// Remembers which (session_id, seq) pings were applied, so retries are idempotent (merge rule 3 of
// docs/data-model.md): the windows of the last `max_sessions` sessions seen on the record, most
// recent first; a new session beyond the bound evicts the least recent one. The most recent session
// is held inline and the older ones behind a pointer, allocated only once a second session is seen,
// so a record that only ever sees one session pays 8 bytes for the others (docs/decisions.md).
struct replay_window {
    static constexpr std::size_t max_sessions = 4;
    using older_windows = std::array<session_window, max_sessions - 1>;  // empty slots last

    session_window newest;                 // the session seen last; empty: none yet
    std::unique_ptr<older_windows> older;  // null: no other session seen

    replay_window() = default;
    replay_window(const session_window& only) : newest(only) {}
    replay_window(const replay_window& other)
        : newest(other.newest), older(other.older ? std::make_unique<older_windows>(*other.older) : nullptr) {}
    replay_window(replay_window&&) noexcept = default;
    replay_window& operator=(const replay_window& other) {
        newest = other.newest;
        if (!other.older) older.reset();
        else if (older) *older = *other.older;
        else older = std::make_unique<older_windows>(*other.older);
        return *this;
    }
    replay_window& operator=(replay_window&&) noexcept = default;

    bool empty() const { return newest == session_window{} && !older; }
    // The i-th most recent session's window, 0 ≤ i < max_sessions (an empty one past those seen).
    const session_window& at(std::size_t i) const {
        static constexpr session_window none{};
        return i == 0 ? newest : older ? (*older)[i - 1] : none;
    }
    std::size_t sessions() const {
        std::size_t n = 0;
        while (n < max_sessions && at(n).session_hash != 0) ++n;
        return n;
    }
    friend bool operator==(const replay_window& a, const replay_window& b) {
        for (std::size_t i = 0; i < max_sessions; ++i) {
            if (!(a.at(i) == b.at(i))) return false;
        }
        return true;
    }
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

inline constexpr std::int64_t no_position_ts = -1;

struct progress_record {
    std::array<std::uint8_t, 16> record_id{};  // UUIDv4, assigned at creation
    progress_status status = progress_status::not_started;
    double progress_percent = 0;
    double position_seconds = 0;
    double duration_seconds = 0;
    double time_spent_seconds = 0;
    std::uint32_t views = 0;
    // Client ts (ms) of the ping that set the position; no_position_ts: none. Not 0, which is a
    // valid ts (docs/native-api.md), so a ping at ts 0 times the next one's playback (rule 6).
    std::int64_t position_ts = no_position_ts;
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
