#pragma once
// What the handlers work with. Built once in main and passed to every register_* function.
//
// Thread-safety: the store and persister are thread-safe; server_status is atomics only; the
// rest is read-only after start-up.

#include "handlers/metrics.hpp"
#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/outbox.hpp"
#include "store/persist/persister.hpp"
#include "store/progress_store.hpp"
#include "store/webhooks.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace progressd {

// The server's life cycle as readiness and metrics see it. Written by server/, read by handlers.
struct server_status {
    std::atomic<bool> loaded{false};    // recovery finished
    std::atomic<bool> draining{false};  // SIGTERM received
    std::atomic<std::int64_t> connections{0};
};

struct services {
    store::progress_store& store;
    store::persister& persister;
    store::catalog& catalog;
    store::enrolment_store& enrolments;
    store::assessment_store& assessments;
    store::webhook_registry& webhooks;
    store::event_outbox& outbox;
    server_status& status;
    const std::vector<std::unique_ptr<thread_metrics>>& metrics;  // one per I/O thread
    bool sync_durability = false;
    bool completion_by_type = false;  // a completion rule names a content type: pings need it
    // Signs Skilljar lesson-progress ids and progress tokens (handlers/compat/skilljar/skilljar_mapping.hpp).
    std::string progress_token_key{};
};

}  // namespace progressd
