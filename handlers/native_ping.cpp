#include "handlers/native_ping.hpp"

#include "handlers/json_io.hpp"
#include "handlers/native_access.hpp"
#include "handlers/ping_segments.hpp"

namespace progressd {
namespace {

constexpr double max_seconds = 1e7;        // about 115 days of media
constexpr double max_delta_seconds = 3600;  // SPEC §2 rule 3
constexpr std::size_t max_details_bytes = 4096;
constexpr std::size_t max_mimetype_bytes = 255;

std::optional<store::ping_event> parse_event(std::string_view name) {
    if (name == "update") return store::ping_event::update;
    if (name == "start") return store::ping_event::start;
    if (name == "end") return store::ping_event::end;
    if (name == "complete") return store::ping_event::complete;
    return std::nullopt;
}

}  // namespace

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
