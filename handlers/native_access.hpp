#pragma once
// Who a native request acts on (SPEC §3): a user acts on itself only; a service names the user.

#include "handlers/api_error.hpp"
#include "handlers/auth/authenticator.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd {

struct services;

// Until recovery has loaded every record, reads would be incomplete and writes could be
// overwritten by older data: both are refused with 503.
std::optional<api_error> refuse_while_loading(const services& context);
// Writes additionally wait for persistence to be healthy: a write accepted now must be durable
// later, so while LMDB is failing we refuse instead of promising.
std::optional<api_error> refuse_if_unwritable(const services& context);

// `requested` is the user id the request names (body, query or path), or nullopt when it names
// none. `field` names where it came from, for the error. On success `user_id` holds the subject.
std::optional<api_error> resolve_subject(const auth::principal& principal, const std::optional<std::string>& requested,
                                         std::string_view field, std::string& user_id);

}  // namespace progressd
