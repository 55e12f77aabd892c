// Writing entities as NDJSON lines (tools/ctl_ndjson.hpp); the reading is in ctl_ndjson_read.cpp.
#include "tools/ctl_ndjson.hpp"

#include "tools/ctl_json.hpp"

#include <cstdint>
#include <type_traits>
#include <variant>

namespace progressd::tools {
namespace {

// A 64-bit word as 16 hex digits: JSON numbers above 2^53 do not survive most readers.
std::string hex_word(std::uint64_t word) {
    char text[17];
    for (int i = 15; i >= 0; --i, word >>= 4) text[i] = "0123456789abcdef"[word & 15];
    return std::string(text, 16);
}

// A stored JSON text (details, attributes, metadata) as the JSON value it is; text that does not
// parse (never written by the server) as a string holding it, so nothing is lost either way.
void append_json_text(std::string& out, std::string_view text) {
    std::string ignored;
    if (parse_json(text, ignored)) out += text;
    else append_json_string(out, text);
}

std::string json_text_field(std::string_view text) {
    std::string out;
    append_json_text(out, text);
    return out;
}

void append_session(std::string& out, const store::session_window& window) {
    json_object_writer(out)
        .string("session_hash", hex_word(window.session_hash))
        .integer("highest_seq", window.highest_seq)
        .string("seen_bits", hex_word(window.seen_bits))
        .close();
}

}  // namespace

void write_content_fields(json_object_writer& w, const store::content_entry& entry) {
    w.string("id", entry.id).string("type", entry.type).string("title", entry.title);
    if (entry.duration_seconds) w.number("duration_seconds", *entry.duration_seconds);
    else w.null("duration_seconds");
    if (entry.parent_id.empty()) w.null("parent_id");
    else w.string("parent_id", entry.parent_id);
    std::string children = "[";
    for (std::size_t i = 0; i < entry.children.size(); ++i) {
        if (i > 0) children += ',';
        append_json_string(children, entry.children[i]);
    }
    children += ']';
    w.raw("children", children).boolean("optional", entry.optional);
}

void write_attempt_fields(json_object_writer& w, const store::assessment_attempt& attempt) {
    w.string("attempt_id", attempt.attempt_id)
        .number("score", attempt.score)
        .number("max_score", attempt.max_score)
        .integer("submitted_at", attempt.submitted_at)
        .boolean("passed", attempt.passed);
}

void append_line(std::string& out, const store::content_entry& entry) {
    json_object_writer w(out);
    w.string("kind", "catalog");
    write_content_fields(w, entry);
    if (entry.attributes.empty()) w.null("attributes");
    else w.raw("attributes", json_text_field(entry.attributes));
    w.boolean("learned", entry.learned).integer("updated_at", entry.updated_at);
    w.close();
    out += '\n';
}

void append_line(std::string& out, std::string_view user_id, const store::record_key& key, const store::progress_record& r) {
    json_object_writer w(out);
    w.string("kind", "record").string("user_id", user_id).string("context_id", key.context_id).string("content_id", key.content_id);
    w.string("record_id", store::format_uuid(r.record_id)).integer("status", static_cast<int>(r.status));
    w.number("progress_percent", r.progress_percent)
        .number("position_seconds", r.position_seconds)
        .number("duration_seconds", r.duration_seconds)
        .number("time_spent_seconds", r.time_spent_seconds)
        .integer("views", r.views);
    if (r.position_ts == store::no_position_ts) w.null("position_ts");
    else w.integer("position_ts", r.position_ts);
    w.integer("first_accessed_at", r.first_accessed_at)
        .integer("last_accessed_at", r.last_accessed_at)
        .integer("updated_at", r.updated_at);
    if (r.completed_at == 0) w.null("completed_at");
    else w.integer("completed_at", r.completed_at);
    if (r.mimetype.empty()) w.null("mimetype");
    else w.string("mimetype", r.mimetype);
    if (r.details.empty()) w.null("details");
    else w.raw("details", json_text_field(r.details));
    w.boolean("hidden", r.hidden);
    std::string words = "[";
    append_json_string(words, hex_word(r.watched[0]));
    words += ',';
    append_json_string(words, hex_word(r.watched[1]));
    words += ']';
    w.raw("watched_bits", words);
    // The newest window is a fixed field of the value (empty or not); older ones only when seen.
    std::string sessions = "[";
    append_session(sessions, r.replay.newest);
    for (std::size_t i = 1; i < r.replay.sessions(); ++i) {
        sessions += ',';
        append_session(sessions, r.replay.at(i));
    }
    sessions += ']';
    w.raw("sessions", sessions);
    if (r.annotations) {
        w.string("notes", r.annotations->notes).boolean("bookmarked", r.annotations->bookmarked);
        if (r.annotations->metadata.empty()) w.null("metadata");
        else w.raw("metadata", json_text_field(r.annotations->metadata));
    }
    w.close();
    out += '\n';
}

void append_line(std::string& out, std::string_view user_id, const store::enrolment_key& key, const store::enrolment& value) {
    json_object_writer w(out);
    w.string("kind", "enrolment").string("user_id", user_id).string("collection_id", key.collection_id)
        .string("context_id", key.context_id).integer("enrolled_at", value.enrolled_at);
    if (value.expires_at == 0) w.null("expires_at");
    else w.integer("expires_at", value.expires_at);
    w.boolean("active", value.active).string("source", value.implicit ? "implicit" : "explicit")
        .integer("updated_at", value.updated_at);
    w.close();
    out += '\n';
}

void append_line(std::string& out, std::string_view user_id, const store::record_key& key, const store::assessment_state& state) {
    json_object_writer w(out);
    w.string("kind", "assessment").string("user_id", user_id).string("context_id", key.context_id)
        .string("content_id", key.content_id).integer("attempt_count", state.attempt_count)
        .number("folded_best_score", state.folded_best_score).boolean("folded_passed", state.folded_passed);
    std::string attempts = "[";
    for (std::size_t i = 0; i < state.attempts.size(); ++i) {
        const store::assessment_attempt& a = state.attempts[i];
        if (i > 0) attempts += ',';
        json_object_writer attempt(attempts);
        write_attempt_fields(attempt, a);
        attempt.close();
    }
    attempts += ']';
    w.raw("attempts", attempts);
    w.close();
    out += '\n';
}

void append_line(std::string& out, const export_item& item) {
    std::visit(
        [&out](const auto& one) {
            using type = std::decay_t<decltype(one)>;
            if constexpr (std::is_same_v<type, store::content_entry>) append_line(out, one);
            else if constexpr (std::is_same_v<type, record_item>) append_line(out, one.user_id, one.key, one.record);
            else if constexpr (std::is_same_v<type, enrolment_item>) append_line(out, one.user_id, one.key, one.value);
            else append_line(out, one.user_id, one.key, one.state);
        },
        item);
}

}  // namespace progressd::tools
