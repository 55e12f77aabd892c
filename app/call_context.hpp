#pragma once
// What a business step needs from whoever calls it: the calling thread's view of the catalog and
// the time of the call. Not an HTTP request: the app layer is driven the same way by every API
// family, by tests and by tools.

#include "store/catalog.hpp"

#include <cstdint>

namespace progressd::app {

struct call_context {
    store::catalog_cache& catalog;  // the calling thread's own: never shared between threads
    std::int64_t now_ms = 0;
};

}  // namespace progressd::app
