#pragma once
// JSON shapes of progress records in the native API.

#include "store/record.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace progressd {

boost::json::object summary_to_json(std::string_view context_id, std::string_view content_id,
                                    const store::record_summary& summary);
// The same summary as JSON text, written directly: the ping hot path builds no DOM.
void append_summary_json(std::string& out, std::string_view context_id, std::string_view content_id,
                         const store::record_summary& summary);
boost::json::object record_to_json(std::string_view user_id, const store::record_key& key,
                                   const store::progress_record& record);
// The same record as the text of record_to_json, written directly (only details, when there are
// some, go through a DOM: they are re-serialized, as record_to_json holds them).
void append_record_json(std::string& out, std::string_view user_id, const store::record_key& key,
                        const store::progress_record& record);
// Its members without the braces, for answers that add members of their own.
void append_record_members(std::string& out, std::string_view user_id, const store::record_key& key,
                           const store::progress_record& record);
// About what append_summary_json writes: room to reserve per summary.
inline constexpr std::size_t typical_summary_json_bytes = 192;
// About what append_record_json writes for a record without details: room to reserve per record.
inline constexpr std::size_t typical_record_json_bytes = 480;

}  // namespace progressd
