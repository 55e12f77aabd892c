#pragma once
// Cluster mode's step between reading a request and routing it (docs/cluster.md, "Any node answers
// any request"): whose request is it (handlers/request_user.hpp), and may this node answer it?
//   - nobody's (the catalog, webhooks, health): the router, here;
//   - a user of a partition this node owns: the router, here, once the user is in memory (its
//     first request loads it without blocking the thread; concurrent ones share the load);
//   - a user another live node owns: forwarded over the thread's pooled connections, and the
//     owner's answer returned as it is; at most one hop (the forwarded request carries
//     X-Progressd-Forwarded-By, and a node never forwards such a request again);
//   - a user whose partition has no owner now (moving, or its owner died and the lease has not
//     run out): 503 with Retry-After, in the family's error format.
//
// Thread-safety: runs on the session's I/O thread, with that thread's forwarder.

#include "handlers/http_request.hpp"
#include "handlers/http_types.hpp"
#include "handlers/metrics.hpp"
#include "server/http_session.hpp"

#include <boost/asio/awaitable.hpp>

namespace progressd {

struct gate_result {
    bool dispatch = true;     // false: `answer` is the reply
    bool forwarded = false;   // `answer` is the owner's: written as it came (no CORS fields added)
    http_response answer{};
    thread_metrics::cluster_path path = thread_metrics::cluster_path::here;  // for /metrics
};

boost::asio::awaitable<gate_result> pass_cluster_gate(const http_request& request, io_thread& thread,
                                                      const session_env& env);

}  // namespace progressd
