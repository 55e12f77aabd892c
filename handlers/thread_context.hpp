#pragma once
// What one I/O thread owns for the handlers: its token cache and its metrics counters. Never
// shared between threads, so neither needs a lock.

#include "handlers/auth/authenticator.hpp"
#include "handlers/metrics.hpp"

namespace progressd {

struct thread_context {
    auth::token_cache tokens;
    thread_metrics& metrics;
};

}  // namespace progressd
