#pragma once
// The JSON form of a ping (docs/native-api.md) → store::ping, with every bound checked.

#include "handlers/api_error.hpp"
#include "handlers/auth/authenticator.hpp"
#include "handlers/json/flat_json.hpp"
#include "store/ping.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

struct parsed_ping {
    std::string user_id;
    store::ping observation;

    friend bool operator==(const parsed_ping&, const parsed_ping&) = default;
};

// `prefix` goes in front of field names in errors (e.g. "pings[2].").
std::optional<api_error> parse_ping(const boost::json::object& body, const auth::principal& principal,
                                    std::string prefix, parsed_ping& out);

// The ping hot path without a DOM: true, with `out` filled exactly as parse_json_object followed by
// parse_ping would fill it, when `body` is a flat object (handlers/json/flat_json.hpp) of known ping
// members holding a valid ping. False for everything else, with `out` in an unspecified state: the
// caller then runs the full path on a fresh parsed_ping, which also writes every error. This never
// decides an error. A member added to parse_ping must be added here too (until then, pings that
// carry it simply take the full path).
bool parse_flat_ping(std::string_view body, const auth::principal& principal, parsed_ping& out);
// The same for a ping already scanned (an item of a batch).
bool parse_flat_ping(const flat_object& object, const auth::principal& principal, parsed_ping& out);

// The batch hot path: true, with one parsed_ping per item in order, when `body` is
// {"pings": [...]} holding 1 to `max_pings` items that parse_flat_ping takes, every one. False for
// anything else (`out` then unspecified): the caller runs the full path, which answers each bad
// item's error. Like parse_flat_ping, this never decides an error.
bool parse_flat_batch(std::string_view body, const auth::principal& principal, std::size_t max_pings,
                      std::vector<parsed_ping>& out);

}  // namespace progressd
