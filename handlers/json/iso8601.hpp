#pragma once
// ISO 8601 / RFC 3339 date-times, as the compatibility families and the webhook payload read and
// write them. The stores keep ms since the epoch, with 0 meaning "never".

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace progressd {

// "2015-06-03T01:02:03.012345Z", "+02:00" offsets, "T" or " ", seconds and fraction optional →
// ms since the epoch, truncating below the millisecond. Nullopt: not one, or before 1970.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

enum class iso8601_precision {
    seconds,       // "2019-08-24T14:15:22Z"
    microseconds,  // "2015-06-03T01:02:03.012000Z": the ms, written as the microseconds Django writes
};
// ms → the text in UTC at `precision` (truncated); 0 (never) → null.
boost::json::value iso8601_or_null(std::int64_t ms, iso8601_precision precision = iso8601_precision::microseconds);

}  // namespace progressd
