#pragma once
// What the handlers work with. Built once in main and passed to every register_* function.
//
// Thread-safety: the database is thread-safe (app/database.hpp); server_status is atomics only;
// the rest is read-only after start-up.

#include "app/call_context.hpp"
#include "app/database.hpp"
#include "handlers/metrics.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

// What an operator asked of the node without restarting it (PUT /v1/ops/availability): stay in
// rotation, leave it (drain: finish what comes, take nothing new), or maintenance. Balancers hear it
// through readiness and the HAProxy agent (docs/operations.md, "Taking a node out").
enum class availability : std::uint8_t { ready, drain, maint };

// The server's life cycle as readiness and metrics see it. Written by server/, read by handlers.
struct server_status {
    std::atomic<bool> loaded{false};    // recovery finished
    std::atomic<bool> draining{false};  // SIGTERM received
    std::atomic<availability> operator_state{availability::ready};
    // While draining: when the last API request (not a probe) was answered, steady-clock ms; 0:
    // none since the signal. The drain ends once this has been quiet for a while.
    std::atomic<std::int64_t> last_api_request_ms{0};
    std::atomic<std::int64_t> connections{0};
};

struct services {
    app::database& data;
    server_status& status;
    const std::vector<std::unique_ptr<thread_metrics>>& metrics;  // one per I/O thread
    // Signs the ids the server hands out and reads back (Skilljar lesson-progress ids and progress
    // tokens): derived from the HS256 secret by derive_progress_token_key, so there is no second
    // secret to manage.
    std::string progress_token_key{};
};

// Defined by the Skilljar family (handlers/compat/skilljar/skilljar_tokens.cpp), whose ids it signs.
std::string derive_progress_token_key(std::string_view hs256_secret);

}  // namespace progressd
