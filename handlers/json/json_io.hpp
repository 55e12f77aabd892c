#pragma once
// Reading request bodies and writing JSON responses, shared by every API family.

#include "handlers/api_error.hpp"
#include "handlers/http_types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

// Parses a body that must be a JSON object (depth-limited, no NaN/Infinity literals). Checks the
// Content-Type too: a body that declares another media type is 415. The object is allocated
// from `out`'s storage, so a caller may hand in an arena (boost::json::monotonic_resource).
std::optional<api_error> parse_json_object(const http_request& request, boost::json::object& out);
// The same checks for a body that may be any JSON value (e.g. the catalog import's array).
std::optional<api_error> parse_json_body(const http_request& request, boost::json::value& out);
// The Content-Type check alone (415 unless absent or application/json), for bodies read without a DOM.
std::optional<api_error> check_json_content_type(const http_request& request);

http_response json_response(http::status status, const boost::json::value& body);
http_response json_response(http::status status, std::string body);  // body: JSON text
// Both leave Content-Type unset: the response writer sends application/json for a body without one.
http_response empty_response(http::status status);

// Reads typed fields out of a JSON object, collecting one error per bad field, so a client
// learns about every mistake at once. Field names in errors carry `prefix` (e.g. "pings[3].").
class field_reader {
public:
    explicit field_reader(const boost::json::object& object, std::string prefix = {})
        : object_(object), prefix_(std::move(prefix)) {}

    std::optional<std::string> id(std::string_view name, bool required);
    std::optional<std::string> context_id(std::string_view name);  // absent or "" → ""
    std::optional<double> number(std::string_view name, double max);  // finite, 0..max
    std::optional<std::int64_t> integer(std::string_view name);     // 0..2^53
    std::optional<std::string> text(std::string_view name, std::size_t max_bytes);
    std::optional<std::string> object_text(std::string_view name, std::size_t max_bytes);  // serialized object
    const boost::json::value* raw(std::string_view name) const;

    void fail(std::string_view name, std::string_view message);
    bool ok() const { return errors_.empty(); }
    api_error error() const;

private:
    const boost::json::object& object_;
    std::string prefix_;
    std::vector<field_error> errors_;
};

// Query-string parameters, percent-decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace progressd
