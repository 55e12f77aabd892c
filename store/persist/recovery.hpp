#pragma once
// Start-up: loads every record, catalog entry, enrolment, assessment, webhook and pending delivery in LMDB into memory, before readiness
// turns 200.

#include "common/log.hpp"
#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/outbox.hpp"
#include "store/persist/lmdb.hpp"
#include "store/progress_store.hpp"
#include "store/webhooks.hpp"

#include <chrono>
#include <cstddef>

namespace progressd::store {

struct recovery_result {
    std::size_t records = 0;
    std::size_t corrupt = 0;  // undecodable entries: skipped and logged, never fatal
    std::chrono::milliseconds duration{0};
};

// Each throws lmdb_error when LMDB itself cannot be read.
recovery_result recover(const lmdb_environment& environment, progress_store& store, const logger& log);
recovery_result recover_catalog(const lmdb_environment& environment, catalog& contents, const logger& log);
recovery_result recover_enrolments(const lmdb_environment& environment, enrolment_store& enrolments,
                                   const logger& log);
recovery_result recover_assessments(const lmdb_environment& environment, assessment_store& assessments,
                                    const logger& log);
recovery_result recover_webhooks(const lmdb_environment& environment, webhook_registry& webhooks, const logger& log);
recovery_result recover_outbox(const lmdb_environment& environment, event_outbox& outbox, const logger& log);

}  // namespace progressd::store
