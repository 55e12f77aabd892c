#pragma once
// The bytes of a forwarded exchange in cluster mode (docs/cluster.md): the request a node sends to
// the owner of the request's user, and the owner's answer as the node writes it to its client.
// No sockets: server/owner_forwarder.hpp sends and reads them.
//
// A forward is one proxy hop, so both directions follow RFC 9110 §7.6.1: the hop-by-hop fields
// (Connection, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade, Trailer, and any field
// a Connection field names) describe one connection and are not passed on; everything else is.
// Framing is each hop's own: the body travels with a Content-Length on both hops.
//
// Thread-safety: pure functions.

#include "handlers/http_types.hpp"

#include <string>
#include <string_view>

namespace progressd {

// The loop guard. Every forwarded request carries it, naming the node that forwarded it; a node
// receiving a request with it answers that request itself and never forwards it again, so a
// request takes at most one hop even while two nodes disagree on who owns a partition.
inline constexpr std::string_view forwarded_by_field = "X-Progressd-Forwarded-By";

// Replaces `out` with the request to send to the owner: `request`'s method and target as
// HTTP/1.1, its fields in order less the hop-by-hop ones, Content-Length, Expect (the body is
// already here: nothing to wait for) and any forwarded_by_field it came with; Host:
// `host_authority` when it had none (HTTP/1.0); forwarded_by_field: `forwarded_by`;
// Content-Length when it has a body or came with a length or a Transfer-Encoding; then the body.
// `request.method()` must be a known verb.
void serialize_forward_request(const http_request& request, std::string_view host_authority,
                               std::string_view forwarded_by, std::string& out);

// Replaces `out` with the owner's answer as the client gets it: the status line in the client's
// HTTP version with the owner's reason, the owner's fields in order less the hop-by-hop ones
// (its Content-Length kept, which for a HEAD is its GET's length), Content-Length from the body
// when the owner sent none (a chunked or close-delimited answer, which the parser has already
// read whole) and the status allows content, Connection when `keep_alive` differs from
// `client_version`'s default (10 or 11), a blank line and the body (none for a HEAD).
void serialize_forwarded(const http::response<http::string_body>& owner_answer, unsigned client_version,
                         bool keep_alive, bool head, std::string& out);

}  // namespace progressd
