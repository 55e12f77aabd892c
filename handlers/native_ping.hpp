#pragma once
// The JSON form of a ping (docs/native-api.md) → store::ping, with every bound checked.

#include "handlers/api_error.hpp"
#include "handlers/auth/authenticator.hpp"
#include "store/ping.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace progressd {

struct parsed_ping {
    std::string user_id;
    store::ping observation;
};

// `prefix` goes in front of field names in errors (e.g. "pings[2].").
std::optional<api_error> parse_ping(const boost::json::object& body, const auth::principal& principal,
                                    std::string prefix, parsed_ping& out);

}  // namespace progressd
