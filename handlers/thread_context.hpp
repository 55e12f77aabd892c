#pragma once
// What one I/O thread owns for the handlers: its token cache, its metrics counters and its view of
// the catalog. Never shared between threads, so none needs a lock.

#include "handlers/auth/authenticator.hpp"
#include "handlers/metrics.hpp"
#include "store/catalog.hpp"

namespace progressd {

struct thread_context {
    auth::token_cache tokens;
    thread_metrics& metrics;
    store::catalog_cache catalog{};
};

}  // namespace progressd
