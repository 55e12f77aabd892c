#pragma once
// Whose request is this? The user whose data a request acts on, found before routing and without
// verifying anything, so that a cluster node can serve it (the user's partition is its own),
// forward it to the owner, or answer 503 (docs/cluster.md).
//
// It follows the handlers' own rules (docs/auth.md, handlers/access.hpp) route by route:
//   - a route that acts on no user (health, metrics, the catalog, webhooks, a Skilljar course's
//     enrollment list, a path no route serves) is nobody's, whatever the credentials;
//   - no credential, an unknown scheme, or an `x-authenticated-user-token` that is no JWT with a
//     valid `sub`: nobody's, as the node answers 401 itself;
//   - a user token decides: `x-authenticated-user-token` (alone, when present) or a Bearer JWT →
//     its `sub` (the payload is decoded, the signature is not checked);
//   - otherwise the caller is a service (Basic, or a Bearer value that is no JWT: an API key) and
//     the user is where that route's handler reads it: the path, `user_id` in the query, or the
//     JSON body (`user_id`, each `pings[*].user_id` of a batch, Sunbird's `request.userId`,
//     Skilljar's `user.id`), or inside a Skilljar signed id or enrollment id in the path.
// A value the handler would refuse (not an id of 1-128 bytes of [A-Za-z0-9._:@-], `me` where it
// means nothing to a service, a body that is not JSON) names nobody: the node answers its 4xx.
//
// Cost: a user's ping decodes the token's payload and never reads the body; a service's flat
// ping is read by the allocation-free scanner of handlers/json/flat_json.hpp, and only other
// bodies are parsed with Boost.JSON.
//
// Thread-safety: a pure function.

#include "handlers/http_request.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace progressd {

struct request_user {
    enum class kind : std::uint8_t { none, one, several };
    kind what = kind::none;        // none: the request is nobody's (served where it arrived)
    std::string id{};              // kind::one: the user
    std::vector<std::string> ids{};  // kind::several: every distinct user, in order of first mention
};

request_user find_request_user(const http_request& request);

}  // namespace progressd
