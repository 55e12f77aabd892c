#pragma once
// Start-up: loads every record in LMDB into the store, before readiness turns 200.

#include "common/log.hpp"
#include "store/lmdb.hpp"
#include "store/progress_store.hpp"

#include <chrono>
#include <cstddef>

namespace progressd::store {

struct recovery_result {
    std::size_t records = 0;
    std::size_t corrupt = 0;  // undecodable entries: skipped and logged, never fatal
    std::chrono::milliseconds duration{0};
};

// Throws lmdb_error when LMDB itself cannot be read.
recovery_result recover(const lmdb_environment& environment, progress_store& store, const logger& log);

}  // namespace progressd::store
