#include "tools/ctl_ndjson.hpp"

#include "store/coverage.hpp"
#include "store/ids.hpp"
#include "tools/ctl_common.hpp"
#include "tools/ctl_json.hpp"

#include <charconv>
#include <memory>
#include <type_traits>
#include <variant>
#include <cstdint>

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

// --- reading ---------------------------------------------------------------------------------

// Reads the members of one line's object; the first failure is kept in `error`.
class fields {
public:
    fields(const json_value& object, std::string& error) : object_(object), error_(error) {}

    bool ok() const { return error_.empty(); }
    fields nested(const json_value& object) { return fields(object, error_); }
    bool fail(std::string_view name, std::string_view what) {
        if (error_.empty()) error_ = std::string(name) + ": " + std::string(what);
        return false;
    }
    const json_value* get(std::string_view name, bool required = true) {
        const json_value* value = object_.find(name);
        if (!value && required) fail(name, "missing");
        return value;
    }
    std::string string(std::string_view name) {
        const json_value* value = get(name);
        if (value && value->type != json_value::kind::string) fail(name, "not a string");
        return value ? value->text : std::string();
    }
    std::string id(std::string_view name, bool may_be_empty = false) {
        std::string text = string(name);
        if (ok() && !(may_be_empty ? store::is_valid_context_id(text) : store::is_valid_id(text))) fail(name, "not a valid id");
        return text;
    }
    // Null (or absent when not required) gives `absent`.
    std::string nullable_string(std::string_view name) {
        const json_value* value = get(name, false);
        if (!value || value->type == json_value::kind::null) return {};
        if (value->type != json_value::kind::string) fail(name, "not a string or null");
        return value->text;
    }
    double number(std::string_view name) {
        const json_value* value = get(name);
        if (!value) return 0;
        const auto number = value->as_double();
        if (!number) fail(name, "not a finite number");
        return number.value_or(0);
    }
    std::int64_t integer(std::string_view name, std::int64_t if_null = 0, bool nullable = false) {
        const json_value* value = get(name, !nullable);
        if (!value || (nullable && value->type == json_value::kind::null)) return if_null;
        const auto number = value->as_int64();
        if (!number) fail(name, "not an integer");
        return number.value_or(0);
    }
    bool boolean(std::string_view name, bool if_absent = false, bool required = true) {
        const json_value* value = get(name, required);
        if (!value) return if_absent;
        if (value->type != json_value::kind::boolean) fail(name, "not a boolean");
        return value->flag;
    }
    std::uint64_t word(const json_value& value, std::string_view name) {
        std::uint64_t word = 0;
        const std::string& text = value.text;
        const auto result = std::from_chars(text.data(), text.data() + text.size(), word, 16);
        if (value.type != json_value::kind::string || text.size() != 16 || result.ec != std::errc{} ||
            result.ptr != text.data() + text.size()) {
            fail(name, "not 16 hex digits");
        }
        return word;
    }
    // A stored JSON text: an object or array as its exact text, a string as its content, null as empty.
    std::string json_text(std::string_view name) {
        const json_value* value = get(name, false);
        if (!value || value->type == json_value::kind::null) return {};
        if (value->type == json_value::kind::string) return value->text;
        if (value->type == json_value::kind::object || value->type == json_value::kind::array) return std::string(value->raw);
        fail(name, "not an object, array, string or null");
        return {};
    }

private:
    const json_value& object_;
    std::string& error_;
};

std::optional<std::array<std::uint8_t, 16>> parse_uuid(std::string_view text) {
    if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return std::nullopt;
    std::string hex;
    for (const char c : text) {
        if (c != '-') hex += c;
    }
    const auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != 16) return std::nullopt;
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 16; ++i) out[i] = static_cast<std::uint8_t>((*bytes)[i]);
    return out;
}

std::optional<export_item> parse_record(fields& f) {
    record_item item;
    item.user_id = f.id("user_id");
    item.key.context_id = f.id("context_id", true);
    item.key.content_id = f.id("content_id");
    store::progress_record& r = item.record;
    const auto record_id = parse_uuid(f.string("record_id"));
    if (!record_id) f.fail("record_id", "not a UUID");
    else r.record_id = *record_id;
    const std::int64_t status = f.integer("status");
    if (status < 0 || status > 2) f.fail("status", "not 0, 1 or 2");
    r.status = static_cast<store::progress_status>(status);
    r.progress_percent = f.number("progress_percent");
    r.position_seconds = f.number("position_seconds");
    r.duration_seconds = f.number("duration_seconds");
    r.time_spent_seconds = f.number("time_spent_seconds");
    const std::int64_t views = f.integer("views");
    if (views < 0 || views > std::int64_t{UINT32_MAX}) f.fail("views", "out of range");
    r.views = static_cast<std::uint32_t>(views);
    r.position_ts = f.integer("position_ts", store::no_position_ts, true);
    r.first_accessed_at = f.integer("first_accessed_at");
    r.last_accessed_at = f.integer("last_accessed_at");
    r.updated_at = f.integer("updated_at");
    r.completed_at = f.integer("completed_at", 0, true);
    r.mimetype = f.nullable_string("mimetype");
    r.details = f.json_text("details");
    r.hidden = f.boolean("hidden");
    if (const json_value* bits = f.get("watched_bits"); bits) {
        if (bits->type != json_value::kind::array || bits->items.size() != 2) f.fail("watched_bits", "not two words");
        else r.watched = {f.word(bits->items[0], "watched_bits"), f.word(bits->items[1], "watched_bits")};
        if (!store::valid_coverage(r.watched)) f.fail("watched_bits", "bits beyond the 100 slots");
    }
    if (const json_value* sessions = f.get("sessions"); sessions) {
        if (sessions->type != json_value::kind::array || sessions->items.empty() ||
            sessions->items.size() > store::replay_window::max_sessions) {
            f.fail("sessions", "not 1 to 4 windows");
            return std::nullopt;
        }
        for (std::size_t i = 0; i < sessions->items.size(); ++i) {
            const json_value& one = sessions->items[i];
            const json_value* hash = one.find("session_hash");
            const json_value* highest = one.find("highest_seq");
            const json_value* seen = one.find("seen_bits");
            if (one.type != json_value::kind::object || !hash || !highest || !seen || !highest->as_int64()) {
                f.fail("sessions", "a window needs session_hash, highest_seq and seen_bits");
                return std::nullopt;
            }
            const store::session_window window{f.word(*hash, "sessions"), *highest->as_int64(), f.word(*seen, "sessions")};
            if (i == 0) {
                r.replay.newest = window;
            } else {
                if (window.session_hash == 0) f.fail("sessions", "an older window without a session");
                if (!r.replay.older) r.replay.older = std::make_unique<store::replay_window::older_windows>();
                (*r.replay.older)[i - 1] = window;
            }
        }
    }
    if (const json_value* notes = f.get("notes", false); notes) {
        auto annotations = std::make_shared<store::record_annotations>();
        annotations->notes = f.string("notes");
        annotations->bookmarked = f.boolean("bookmarked");
        annotations->metadata = f.json_text("metadata");
        if (!annotations->empty()) r.annotations = std::move(annotations);
    }
    if (!f.ok()) return std::nullopt;
    return item;
}

std::optional<export_item> parse_catalog(fields& f) {
    store::content_entry entry;
    entry.id = f.id("id");
    entry.type = f.string("type");
    entry.title = f.string("title");
    if (const json_value* duration = f.get("duration_seconds"); duration && duration->type != json_value::kind::null) {
        entry.duration_seconds = f.number("duration_seconds");
    }
    entry.parent_id = f.nullable_string("parent_id");
    if (!entry.parent_id.empty() && !store::is_valid_id(entry.parent_id)) f.fail("parent_id", "not a valid id");
    if (const json_value* children = f.get("children"); children) {
        if (children->type != json_value::kind::array) f.fail("children", "not an array");
        for (const json_value& child : children->items) {
            if (child.type != json_value::kind::string || !store::is_valid_id(child.text)) f.fail("children", "not an id");
            entry.children.push_back(child.text);
        }
    }
    entry.optional = f.boolean("optional");
    entry.attributes = f.json_text("attributes");
    entry.learned = f.boolean("learned");
    entry.updated_at = f.integer("updated_at");
    if (!f.ok()) return std::nullopt;
    return entry;
}

std::optional<export_item> parse_enrolment(fields& f) {
    enrolment_item item;
    item.user_id = f.id("user_id");
    item.key.collection_id = f.id("collection_id");
    item.key.context_id = f.id("context_id", true);
    item.value.enrolled_at = f.integer("enrolled_at");
    item.value.expires_at = f.integer("expires_at", 0, true);
    item.value.active = f.boolean("active");
    const std::string source = f.string("source");
    if (source != "implicit" && source != "explicit") f.fail("source", "not implicit or explicit");
    item.value.implicit = source == "implicit";
    item.value.updated_at = f.integer("updated_at");
    if (!f.ok()) return std::nullopt;
    return item;
}

std::optional<export_item> parse_assessment(fields& f) {
    assessment_item item;
    item.user_id = f.id("user_id");
    item.key.context_id = f.id("context_id", true);
    item.key.content_id = f.id("content_id");
    const std::int64_t count = f.integer("attempt_count");
    if (count < 0 || count > std::int64_t{UINT32_MAX}) f.fail("attempt_count", "out of range");
    item.state.attempt_count = static_cast<std::uint32_t>(count);
    item.state.folded_best_score = f.number("folded_best_score");
    item.state.folded_passed = f.boolean("folded_passed");
    const json_value* attempts = f.get("attempts");
    if (attempts && attempts->type != json_value::kind::array) f.fail("attempts", "not an array");
    if (attempts && f.ok()) {
        for (const json_value& one : attempts->items) {
            if (one.type != json_value::kind::object) {
                f.fail("attempts", "not an object");
                break;
            }
            fields a = f.nested(one);
            store::assessment_attempt& attempt = item.state.attempts.emplace_back();
            attempt.attempt_id = a.id("attempt_id");
            attempt.score = a.number("score");
            attempt.max_score = a.number("max_score");
            attempt.submitted_at = a.integer("submitted_at");
            attempt.passed = a.boolean("passed");
        }
    }
    if (!f.ok()) return std::nullopt;
    return item;
}

void append_session(std::string& out, const store::session_window& window) {
    json_object_writer(out)
        .string("session_hash", hex_word(window.session_hash))
        .integer("highest_seq", window.highest_seq)
        .string("seen_bits", hex_word(window.seen_bits))
        .close();
}

}  // namespace

void append_line(std::string& out, const store::content_entry& entry) {
    json_object_writer w(out);
    w.string("kind", "catalog").string("id", entry.id).string("type", entry.type).string("title", entry.title);
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
        json_object_writer(attempts)
            .string("attempt_id", a.attempt_id)
            .number("score", a.score)
            .number("max_score", a.max_score)
            .integer("submitted_at", a.submitted_at)
            .boolean("passed", a.passed)
            .close();
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

std::optional<export_item> parse_line(std::string_view line, std::string& error) {
    error.clear();
    auto value = parse_json(line, error);
    if (!value) return std::nullopt;
    if (value->type != json_value::kind::object) {
        error = "not a JSON object";
        return std::nullopt;
    }
    fields f(*value, error);
    const std::string kind = f.string("kind");
    if (!f.ok()) return std::nullopt;
    if (kind == "record") return parse_record(f);
    if (kind == "catalog") return parse_catalog(f);
    if (kind == "enrolment") return parse_enrolment(f);
    if (kind == "assessment") return parse_assessment(f);
    error = "kind: not record, catalog, enrolment or assessment";
    return std::nullopt;
}

}  // namespace progressd::tools
