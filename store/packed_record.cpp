#include "store/packed_record.hpp"

#include <bit>
#include <cstring>
#include <utility>

namespace progressd::store {
namespace {

// What the memory budget rests on (bench/RESULTS.md, "Figures behind design choices"); a field added to
// packed_record should find room in the extras first.
static_assert(sizeof(packed_record) <= 104, "packed_record grew: see store/packed_record.hpp");

constexpr std::size_t time_bytes = 6;
// store_times copies a value's first bytes, which are its low ones only on little-endian hosts.
static_assert(std::endian::native == std::endian::little, "packed_times assumes a little-endian host");
constexpr std::uint64_t field_max = (std::uint64_t{1} << (8 * time_bytes)) - 1;  // all ones: in the extras

record_times times_of(const progress_record& record) {
    return {record.position_ts, record.first_accessed_at, record.last_accessed_at, record.updated_at,
            record.completed_at};
}

// Stores the times; false (and every field all ones) when one does not fit. position_ts (field
// 0) is kept plus one, so that its "none" (-1) is stored as 0. In unsigned arithmetic a negative
// time becomes a huge value, so one comparison a field checks both ends.
bool store_times(packed_times& packed, const record_times& times) {
    std::array<std::uint64_t, 5> fields{};
    bool fit = true;
    for (std::size_t i = 0; i < times.size(); ++i) {
        fields[i] = static_cast<std::uint64_t>(times[i]) + (i == 0 ? 1 : 0);
        fit = fit && fields[i] < field_max;
    }
    if (!fit) fields.fill(field_max);
    // The low bytes of each value, copied whole: a ping packs and unpacks a record twice.
    for (std::size_t i = 0; i < fields.size(); ++i) std::memcpy(&packed.bytes[i * time_bytes], &fields[i], time_bytes);
    return fit;
}

std::uint64_t field_at(const packed_times& packed, std::size_t i) {
    std::uint64_t value = 0;
    std::memcpy(&value, &packed.bytes[i * time_bytes], time_bytes);
    return value;
}

record_times times_of(const packed_record& packed) {
    if (field_at(packed.times, 0) == field_max) return *packed.extras->wide_times;
    record_times times{};
    for (std::size_t i = 0; i < times.size(); ++i) {
        times[i] = static_cast<std::int64_t>(field_at(packed.times, i)) - (i == 0 ? 1 : 0);
    }
    return times;
}

bool needs_extras(const progress_record& record, bool wide_times) {
    return !record.details.empty() || record.annotations || !record.replay.empty() ||
           record.watched != coverage_map{} || wide_times;
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
    const record_times times = times_of(packed);
    out.position_ts = times[0];
    out.first_accessed_at = times[1];
    out.last_accessed_at = times[2];
    out.updated_at = times[3];
    out.completed_at = times[4];
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
    const record_times times = times_of(record);
    const bool wide_times = !store_times(packed.times, times);
    packed.hidden = record.hidden;

    // Most writes keep the mimetype: compare before touching the table. Acquire before release,
    // so a string both records share is never dropped in between.
    if (record.mimetype != strings.text(packed.mimetype)) {
        const intern_table::id next = strings.acquire(record.mimetype);
        strings.release(packed.mimetype);
        packed.mimetype = next;
    }

    if (!needs_extras(record, wide_times)) {
        packed.extras.reset();
        return;
    }
    if (!packed.extras) packed.extras = std::make_unique<record_extras>();
    packed.extras->replay = std::move(record.replay);
    packed.extras->watched = record.watched;
    packed.extras->details = std::move(record.details);
    packed.extras->annotations = std::move(record.annotations);
    if (!wide_times) {
        packed.extras->wide_times.reset();
    } else if (packed.extras->wide_times) {
        *packed.extras->wide_times = times;
    } else {
        packed.extras->wide_times = std::make_unique<record_times>(times);
    }
}

std::int64_t last_accessed_at(const packed_record& packed) { return times_of(packed)[2]; }

void release_strings(const packed_record& packed, intern_table& strings) {
    strings.release(packed.context);
    strings.release(packed.content);
    strings.release(packed.mimetype);
}

}  // namespace progressd::store
