#include "store/packed_record.hpp"

#include <utility>

namespace progressd::store {
namespace {

// What the memory budget rests on (bench/README.md, "Figures behind design choices"); a field added to
// packed_record should find room in the extras first.
static_assert(sizeof(packed_record) <= 120, "packed_record grew: see store/packed_record.hpp");

bool needs_extras(const progress_record& record) {
    return !record.details.empty() || record.annotations || !record.replay.empty() ||
           record.watched != coverage_map{};
}

// Everything but the strings and the extras, which copying and moving treat differently.
void unpack_scalars(const packed_record& packed, progress_record& out) {
    out.record_id = packed.record_id;
    out.status = packed.status;
    out.progress_percent = packed.progress_percent;
    out.position_seconds = packed.position_seconds;
    out.duration_seconds = packed.duration_seconds;
    out.time_spent_seconds = packed.time_spent_seconds;
    out.views = packed.views;
    out.position_ts = packed.position_ts;
    out.first_accessed_at = packed.first_accessed_at;
    out.last_accessed_at = packed.last_accessed_at;
    out.updated_at = packed.updated_at;
    out.completed_at = packed.completed_at;
    out.hidden = packed.hidden;
}

}  // namespace

void unpack_into(const packed_record& packed, const intern_table& strings, progress_record& out) {
    unpack_scalars(packed, out);
    out.mimetype.assign(strings.text(packed.mimetype));
    if (const record_extras* extras = packed.extras.get()) {
        out.replay = extras->replay;
        out.watched = extras->watched;
        out.details.assign(extras->details);
        out.annotations = extras->annotations;
    } else {
        out.replay = {};
        out.watched = {};
        out.details.clear();
        out.annotations.reset();
    }
}

progress_record unpack(const packed_record& packed, const intern_table& strings) {
    progress_record out;
    unpack_into(packed, strings, out);
    return out;
}

progress_record take(packed_record& packed, const intern_table& strings) {
    progress_record out;
    take_into(packed, strings, out);
    return out;
}

void take_into(packed_record& packed, const intern_table& strings, progress_record& out) {
    unpack_scalars(packed, out);
    out.mimetype.assign(strings.text(packed.mimetype));
    if (record_extras* extras = packed.extras.get()) {
        out.replay = std::move(extras->replay);
        out.watched = extras->watched;
        out.details = std::move(extras->details);
        out.annotations = std::move(extras->annotations);
    } else {
        out.replay = {};
        out.watched = {};
        out.details.clear();
        out.annotations.reset();
    }
}

void pack(packed_record& packed, progress_record&& record, intern_table& strings) {
    packed.record_id = record.record_id;
    packed.status = record.status;
    packed.progress_percent = record.progress_percent;
    packed.position_seconds = record.position_seconds;
    packed.duration_seconds = record.duration_seconds;
    packed.time_spent_seconds = record.time_spent_seconds;
    packed.views = record.views;
    packed.position_ts = record.position_ts;
    packed.first_accessed_at = record.first_accessed_at;
    packed.last_accessed_at = record.last_accessed_at;
    packed.updated_at = record.updated_at;
    packed.completed_at = record.completed_at;
    packed.hidden = record.hidden;

    // Most writes keep the mimetype: compare before touching the table. Acquire before release,
    // so a string both records share is never dropped in between.
    if (record.mimetype != strings.text(packed.mimetype)) {
        const intern_table::id next = strings.acquire(record.mimetype);
        strings.release(packed.mimetype);
        packed.mimetype = next;
    }

    if (!needs_extras(record)) {
        packed.extras.reset();
        return;
    }
    if (!packed.extras) packed.extras = std::make_unique<record_extras>();
    packed.extras->replay = std::move(record.replay);
    packed.extras->watched = record.watched;
    packed.extras->details = std::move(record.details);
    packed.extras->annotations = std::move(record.annotations);
}

void release_strings(const packed_record& packed, intern_table& strings) {
    strings.release(packed.context);
    strings.release(packed.content);
    strings.release(packed.mimetype);
}

}  // namespace progressd::store
