#pragma once
// The NDJSON lines of progressctl export and import (docs/progressctl.md, "The NDJSON schema"):
// one JSON object per line, `kind` first, then the entity's fields named as the native API names
// them (docs/native-api.md) where it has them, plus what the API does not show and an exact copy
// needs (a record's replay windows, watched-coverage bits, position_ts; an assessment's folded
// counters). A line read back gives the very entity that was written, field for field, so the
// encoders store the same bytes and a second export prints the same line.

#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/record.hpp"
#include "tools/ctl_json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace progressd::tools {

struct record_item {
    std::string user_id{};
    store::record_key key{};
    store::progress_record record{};
};

struct enrolment_item {
    std::string user_id{};
    store::enrolment_key key{};
    store::enrolment value{};
};

struct assessment_item {
    std::string user_id{};
    store::record_key key{};
    store::assessment_state state{};
};

using export_item = std::variant<store::content_entry, record_item, enrolment_item, assessment_item>;

// A catalog entry's fields as the native API's catalog (PUT /v1/contents) names them; the
// NDJSON line adds its own (kind, attributes, learned, updated_at), import --url the API's.
void write_content_fields(json_object_writer& w, const store::content_entry& entry);
// An assessment attempt's fields as POST /v1/assessments names them (the NDJSON line's attempts too).
void write_attempt_fields(json_object_writer& w, const store::assessment_attempt& attempt);

// Appends the item's line, '\n' included.
void append_line(std::string& out, const store::content_entry& entry);
void append_line(std::string& out, std::string_view user_id, const store::record_key& key, const store::progress_record& record);
void append_line(std::string& out, std::string_view user_id, const store::enrolment_key& key, const store::enrolment& value);
void append_line(std::string& out, std::string_view user_id, const store::record_key& key, const store::assessment_state& state);
void append_line(std::string& out, const export_item& item);

// One line (without its '\n'); nullopt with `error` naming the field that is missing or wrong.
std::optional<export_item> parse_line(std::string_view line, std::string& error);

}  // namespace progressd::tools
