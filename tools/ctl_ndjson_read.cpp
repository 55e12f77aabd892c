// Reading NDJSON lines back into entities (tools/ctl_ndjson.hpp); the writing is in ctl_ndjson.cpp.
#include "tools/ctl_ndjson.hpp"

#include "store/coverage.hpp"
#include "store/ids.hpp"
#include "tools/ctl_common.hpp"
#include "tools/ctl_json.hpp"

#include <charconv>
#include <cstdint>
#include <memory>
#include <variant>

namespace progressd::tools {
namespace {

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

}  // namespace

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
