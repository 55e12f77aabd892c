#pragma once
// Shared by the Sunbird family's handler files (sunbird.cpp, sunbird_summary.cpp): one call's
// envelope in and out, and the family's error writer.

#include "handlers/router.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

struct services;

namespace sunbird {

// The envelope's error for `error`, with the API id and the msgid it echoes.
http_response envelope_error(std::string_view api_id, const boost::json::value& msgid, std::int64_t now_ms,
                             const api_error& error);

// The family's error writer for what the router finds before a handler runs (credentials, an
// unknown method, a body too large): the route's API id, no msgid yet.
template <const char* ApiId>
http_response write_error(const api_error& error);
http_response write_error_now(std::string_view api_id, const api_error& error);
template <const char* ApiId>
http_response write_error(const api_error& error) {
    return write_error_now(ApiId, error);
}

api_error field_errors(std::vector<field_error> errors);

// One call's identity: the API id it answers with and the msgid it echoes.
struct call {
    std::string_view api_id;
    boost::json::value msgid;
    std::int64_t now_ms = 0;

    handler_result fail(const api_error& error) const;
    // The answer to a write of `generation` (0: nothing written) waits for the commit
    // app::database::reply_waits_for names.
    handler_result ok(const services& context, boost::json::value result, std::uint64_t generation = 0) const;
};

// Parses the envelope into `body`; on success `inner` is its `request` object. `require_request`
// false: a body may be absent (DELETE …?all) — then `inner` stays null.
std::optional<api_error> read_call(const request_context& request, boost::json::object& body, call& current,
                                   const boost::json::object*& inner, bool require_request = true);

// The user comes from the token; a service key names it (`requested`: request.userId or the path).
std::optional<api_error> read_user(const request_context& request, std::optional<std::string> requested,
                                   std::string_view field, std::string& user_id);
std::optional<std::string> string_field(const boost::json::object* inner, std::string_view name);

}  // namespace sunbird
}  // namespace progressd
