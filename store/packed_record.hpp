#pragma once
// How the progress store keeps a record in memory: a progress_record packed to 104 bytes.
//
// Memory per record is what limits how many records one server holds (10 M records at ~300 bytes
// each was 3 GiB of heap), so inside a shard a record is stored as this instead of a
// progress_record (~230 bytes, plus its two-string key and a map node):
// - its key and mimetype are ids in the shard's intern_table (store/intern_table.hpp);
// - what most records never set lives behind one pointer, null while all of it is empty:
//   details, annotations, the replay window (only pings with a session id set it) and watched
//   coverage (only consecutive pings of a session or explicit segments set it);
// - its five times (ms) take 6 bytes each: a server's clock needs 41 bits until 2039 and 48
//   until the year 10 889. A time that does not fit (a client's ts near 2^53, a negative one)
//   puts all five in the extras (wide_times) and the packed fields say so;
// - status, hidden and the dirty flag share one byte.
// Every field of progress_record is kept exactly; the conversions below are the only way in or
// out, so the merge rules and every caller keep working on progress_record.
//
// A packed_record holds one reference on each of its three intern ids; the store takes them when
// it creates the record and gives them back when it removes it (this type has no pointer to its
// table, which would cost 8 bytes a record).
//
// Thread-safety: none; a shard uses its records under its lock.

#include "store/intern_table.hpp"
#include "store/record.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace progressd::store {

// A record's five times: position_ts, first_accessed_at, last_accessed_at, updated_at,
// completed_at, in that order.
using record_times = std::array<std::int64_t, 5>;

// The fields few records set (see above).
struct record_extras {
    replay_window replay;
    coverage_map watched{};
    std::string details;
    std::shared_ptr<const record_annotations> annotations;
    std::unique_ptr<record_times> wide_times;  // null: the times fit in the packed record
};

// The five times, 6 bytes each (the host's order: x86-64 and arm64 are little-endian). position_ts is kept plus one, so that all zero
// bytes are a new record's times (no position_ts, the others 0); all ones in a field says the
// times are in the extras.
struct packed_times {
    std::array<std::uint8_t, 30> bytes{};
};

struct packed_record {
    intern_table::id context = intern_table::empty_id;
    intern_table::id content = intern_table::empty_id;
    intern_table::id mimetype = intern_table::empty_id;
    std::uint32_t views = 0;
    std::array<std::uint8_t, 16> record_id{};
    double progress_percent = 0;
    double position_seconds = 0;
    double duration_seconds = 0;
    double time_spent_seconds = 0;
    std::unique_ptr<record_extras> extras;  // null: all of record_extras is empty
    packed_times times;
    progress_status status : 2 = progress_status::not_started;
    bool hidden : 1 = false;
    bool dirty : 1 = false;  // the store has queued it for the persister
};

// Copies the record out (reads). `out` is assigned field by field, so a scratch record reused
// across calls keeps its strings' capacity.
void unpack_into(const packed_record& packed, const intern_table& strings, progress_record& out);
progress_record unpack(const packed_record& packed, const intern_table& strings);

// Moves the record out for a write: details, annotations and the replay window are moved, not
// copied, and must be given back with pack() (which every write does right after changing the
// record). take_into
// fills a scratch record the caller keeps, so a ping neither builds nor destroys one and a long
// mimetype is copied into capacity the scratch already has.
progress_record take(packed_record& packed, const intern_table& strings);
void take_into(packed_record& packed, const intern_table& strings, progress_record& out);

// Stores `record`'s fields into `packed`, its key ids and dirty flag untouched: the mimetype is
// re-interned only when it changed, and the extras are allocated or freed as they fill or empty.
void pack(packed_record& packed, progress_record&& record, intern_table& strings);

// The record's last_accessed_at, without copying it out.
std::int64_t last_accessed_at(const packed_record& packed);

// Gives back the record's three references (before the store drops it).
void release_strings(const packed_record& packed, intern_table& strings);

}  // namespace progressd::store
