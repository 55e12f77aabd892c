#pragma once
// Who a native request acts on (docs/auth.md): a user on itself only; a service names the user.

#include "handlers/api_error.hpp"
#include "handlers/auth/authenticator.hpp"
#include "handlers/router.hpp"

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

// Catalog and enrolment writes belong to backends: a user token gets 403.
std::optional<api_error> require_service(const auth::principal& principal, std::string_view what);

// A native (problem+json) answer to a write of `generation` that waits for the commit
// app::database::reply_waits_for names, if any, and becomes a 503 if that commit fails.
handler_result durable_native(const services& context, http_response response, std::uint64_t generation);
// The same for a change of the state every cluster node shares (the catalog): on a cluster node
// it waits for the commit whatever the durability, since the commit is what sends the change to
// the other nodes (docs/cluster.md, "Shared state"); a client that reads it next through another
// node then finds it within milliseconds rather than a flush interval.
handler_result durable_shared(services& context, http_response response, std::uint64_t generation);

}  // namespace progressd
