#pragma once
// How the progress store keeps a record in memory: a progress_record packed to 120 bytes.
//
// Memory per record is what limits how many records one server holds (10 M records at ~300 bytes
// each was 3 GiB of heap), so inside a shard a record is stored as this instead of a
// progress_record (~230 bytes, plus its two-string key and a map node):
// - its key and mimetype are ids in the shard's intern_table (store/intern_table.hpp);
// - what most records never set lives behind one pointer, null while all of it is empty:
//   details, annotations, the replay window (only pings with a session id set it) and watched
//   coverage (only consecutive pings of a session or explicit segments set it);
// - the dirty flag is a byte of the padding.
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

// The fields few records set (see above).
struct record_extras {
    replay_window replay;
    coverage_map watched{};
    std::string details;
    std::shared_ptr<const record_annotations> annotations;
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
    std::int64_t position_ts = no_position_ts;
    std::int64_t first_accessed_at = 0;
    std::int64_t last_accessed_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t completed_at = 0;
    std::unique_ptr<record_extras> extras;  // null: all of record_extras is empty
    progress_status status = progress_status::not_started;
    bool hidden = false;
    bool dirty = false;  // the store has queued it for the persister
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

// Gives back the record's three references (before the store drops it).
void release_strings(const packed_record& packed, intern_table& strings);

}  // namespace progressd::store
