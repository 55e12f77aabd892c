#include "handlers/native/native_ping.hpp"

#include "handlers/access.hpp"
#include "handlers/json/flat_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/native/ping_segments.hpp"
#include "store/ids.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace progressd {
namespace {

constexpr double max_seconds = 1e7;        // about 115 days of media
constexpr double max_delta_seconds = 3600;  // docs/data-model.md, "Merge rules", rule 3
constexpr std::size_t max_details_bytes = 4096;
constexpr std::size_t max_mimetype_bytes = 255;

std::optional<store::ping_event> parse_event(std::string_view name) {
    if (name == "update") return store::ping_event::update;
    if (name == "start") return store::ping_event::start;
    if (name == "end") return store::ping_event::end;
    if (name == "complete") return store::ping_event::complete;
    return std::nullopt;
}

// The members parse_ping reads, as bits of a "seen" mask.
enum class ping_member : std::uint8_t {
    user_id, content_id, context_id, collection_id, position_seconds, duration_seconds, progress_percent,
    time_spent_delta_seconds, event, session_id, seq, ts, mimetype, details, segments, unknown,
};

// By length first: most lengths name one member, so a ping's keys cost one or two compares each.
ping_member member_of(std::string_view key) {
    switch (key.size()) {
        case 2: return key == "ts" ? ping_member::ts : ping_member::unknown;
        case 3: return key == "seq" ? ping_member::seq : ping_member::unknown;
        case 5: return key == "event" ? ping_member::event : ping_member::unknown;
        case 7:
            if (key == "user_id") return ping_member::user_id;
            return key == "details" ? ping_member::details : ping_member::unknown;
        case 8:
            if (key == "mimetype") return ping_member::mimetype;
            return key == "segments" ? ping_member::segments : ping_member::unknown;
        case 10:
            if (key == "content_id") return ping_member::content_id;
            if (key == "context_id") return ping_member::context_id;
            return key == "session_id" ? ping_member::session_id : ping_member::unknown;
        case 13: return key == "collection_id" ? ping_member::collection_id : ping_member::unknown;
        case 16:
            if (key == "position_seconds") return ping_member::position_seconds;
            if (key == "duration_seconds") return ping_member::duration_seconds;
            return key == "progress_percent" ? ping_member::progress_percent : ping_member::unknown;
        case 24: return key == "time_spent_delta_seconds" ? ping_member::time_spent_delta_seconds : ping_member::unknown;
        default: return ping_member::unknown;
    }
}

// store::is_valid_id through a table built from store::is_id_char itself, so the two cannot
// drift apart; a table because ids are most of a ping's bytes.
constexpr auto id_chars = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = store::is_id_char(static_cast<char>(c));
    return table;
}();

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > store::max_id_length) return false;
    for (const char c : id) {
        if (!id_chars[static_cast<unsigned char>(c)]) return false;
    }
    return true;
}

// Each reader accepts exactly what field_reader accepts for that member, within flat_json's
// subset; anything it refuses goes to the full path.
bool flat_id(const flat_member& member, std::string& out) {
    if (member.kind != flat_kind::string || !is_valid_id(member.text)) return false;
    out.assign(member.text);
    return true;
}

bool flat_number(const flat_member& member, double max, std::optional<double>& out) {
    if (member.kind != flat_kind::number) return false;
    const auto number = exact_decimal(member.text);  // never negative, always finite
    if (!number || *number > max) return false;
    out = *number;
    return true;
}

bool flat_integer(const flat_member& member, std::optional<std::int64_t>& out) {
    if (member.kind != flat_kind::number) return false;
    out = small_integer(member.text);  // at most 15 digits: within 0..2^53
    return out.has_value();
}

bool read_flat_member(ping_member which, const flat_member& member, std::optional<std::string>& requested_user,
                      store::ping& ping) {
    switch (which) {
        case ping_member::user_id: return flat_id(member, requested_user.emplace());
        case ping_member::content_id: return flat_id(member, ping.content_id);
        case ping_member::context_id:
            if (member.kind != flat_kind::string || !(member.text.empty() || is_valid_id(member.text))) return false;
            ping.context_id.assign(member.text);
            return true;
        case ping_member::collection_id: return flat_id(member, ping.collection_id);
        case ping_member::position_seconds: return flat_number(member, max_seconds, ping.position_seconds);
        case ping_member::duration_seconds: return flat_number(member, max_seconds, ping.duration_seconds);
        case ping_member::progress_percent: return flat_number(member, 100, ping.progress_percent);
        case ping_member::time_spent_delta_seconds: {
            std::optional<double> delta;
            if (!flat_number(member, max_delta_seconds, delta)) return false;
            ping.time_spent_delta_seconds = *delta;
            return true;
        }
        case ping_member::event: {
            const auto event = member.kind == flat_kind::string ? parse_event(member.text) : std::nullopt;
            if (event) ping.event = *event;
            return event.has_value();
        }
        case ping_member::session_id: return flat_id(member, ping.session_id.emplace());
        case ping_member::seq: return flat_integer(member, ping.seq);
        case ping_member::ts: return flat_integer(member, ping.ts);
        case ping_member::mimetype:
            if (member.kind != flat_kind::string || member.text.size() > max_mimetype_bytes) return false;
            ping.mimetype.emplace(member.text);
            return true;
        case ping_member::details:   // an object or an array: never flat, so a string here is an error
        case ping_member::segments:
        case ping_member::unknown: return false;
    }
    return false;
}

}  // namespace

bool parse_flat_ping(std::string_view body, const auth::principal& principal, parsed_ping& out) {
    flat_object object;
    return scan_flat_object(body, object) && parse_flat_ping(object, principal, out);
}

bool parse_flat_batch(std::string_view body, const auth::principal& principal, std::size_t max_pings,
                      std::vector<parsed_ping>& out) {
    out.clear();
    const bool flat = scan_flat_object_array(body, "pings", [&](const flat_object& item) {
        return out.size() < max_pings && parse_flat_ping(item, principal, out.emplace_back());
    });
    return flat && !out.empty();
}

bool parse_flat_ping(const flat_object& object, const auth::principal& principal, parsed_ping& out) {
    std::optional<std::string> requested_user;
    std::uint32_t seen = 0;
    for (std::size_t i = 0; i < object.size; ++i) {
        const flat_member& member = object.members[i];
        const ping_member which = member_of(member.key);
        // The full path ignores unknown members, but one may be a member parse_ping learned after
        // this reader was written: declining keeps the two from ever reading a ping differently.
        if (which == ping_member::unknown) return false;
        // Which of two equal keys counts is the full parser's rule: leave duplicates to it.
        const std::uint32_t bit = 1u << static_cast<unsigned>(which);
        if (seen & bit) return false;
        seen |= bit;
        if (member.kind == flat_kind::null) continue;  // null counts as absent (field_reader::raw)
        if (!read_flat_member(which, member, requested_user, out.observation)) return false;
    }
    if (out.observation.content_id.empty()) return false;  // required
    return !resolve_subject(principal, requested_user, "user_id", out.user_id);
}

std::optional<api_error> parse_ping(const boost::json::object& body, const auth::principal& principal,
                                    std::string prefix, parsed_ping& out) {
    field_reader fields(body, prefix);
    auto& ping = out.observation;

    std::optional<std::string> requested_user;
    if (fields.raw("user_id")) {
        requested_user = fields.id("user_id", false);
        if (!requested_user) return fields.error();
    }
    if (auto refused = resolve_subject(principal, requested_user, prefix + "user_id", out.user_id)) return refused;

    if (auto id = fields.id("content_id", true)) ping.content_id = std::move(*id);
    if (auto id = fields.context_id("context_id")) ping.context_id = std::move(*id);
    if (fields.raw("collection_id")) {
        if (auto id = fields.id("collection_id", false)) ping.collection_id = std::move(*id);
    }
    ping.position_seconds = fields.number("position_seconds", max_seconds);
    ping.duration_seconds = fields.number("duration_seconds", max_seconds);
    ping.progress_percent = fields.number("progress_percent", 100);
    ping.time_spent_delta_seconds = fields.number("time_spent_delta_seconds", max_delta_seconds).value_or(0);
    if (const auto* event = fields.raw("event")) {
        auto parsed = event->is_string() ? parse_event(event->as_string()) : std::nullopt;
        if (parsed) {
            ping.event = *parsed;
        } else {
            fields.fail("event", "must be one of start, update, end, complete");
        }
    }
    ping.session_id = fields.id("session_id", false);
    ping.seq = fields.integer("seq");
    ping.ts = fields.integer("ts");
    ping.mimetype = fields.text("mimetype", max_mimetype_bytes);
    ping.details = fields.object_text("details", max_details_bytes);
    read_segments(fields, ping);
    if (!fields.ok()) return fields.error();
    return std::nullopt;
}

}  // namespace progressd
