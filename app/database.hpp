#pragma once
// Everything progressd keeps, in one object: the in-memory stores (records, catalog, enrolments,
// assessments, webhooks, the webhook outbox) and the persister that writes their changes to the
// data dir's LMDB environment. Built once in main, before anything listens:
//
//   auto environment = store::open_data_dir(dir, map_size);
//   database data(environment, options, log);  // replays the write-ahead log, attaches every
//   ... start listening ...                    // store to the persister
//   data.recover();                // loads every store from LMDB (the server is not ready before)
//   data.start();                  // the persister thread
//   ... serve ...
//   data.stop();                   // the last flush
//
// Thread-safety: the stores and the persister are thread-safe (see each header); recover(),
// start() and stop() are called once each, from one thread.

#include "common/log.hpp"
#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/outbox.hpp"
#include "store/persist/durability.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"
#include "store/persist/write_ahead_log.hpp"
#include "store/progress_store.hpp"
#include "store/webhooks.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace progressd::app {

struct database_options {
    std::string data_dir = "./data";  // where the write-ahead log lives, beside LMDB's files
    std::size_t shards = 64;
    store::merge_rules rules{};
    store::durability_mode durability = store::durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    std::size_t lmdb_max_map_size = 0;  // 0: grow without limit
    store::retry_policy webhook_retry{};
};

// What recover() loaded, store by store (each also counts the entries it skipped as corrupt).
struct recovery_summary {
    store::recovery_result records, catalog, enrolments, assessments, webhooks, outbox;
};

class database {
public:
    // Throws with what failed when the data dir's write-ahead log cannot be replayed.
    database(store::lmdb_environment& environment, const database_options& options, const logger& log);
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // Loads every store from LMDB. Throws store::lmdb_error when LMDB itself cannot be read.
    recovery_summary recover();
    void start() { persister_.start(); }
    // Writes everything still dirty; false when that failed (see store/persist/persister.hpp).
    bool stop() { return persister_.stop(); }

    store::progress_store& records() { return records_; }
    store::catalog& catalog() { return catalog_; }
    store::enrolment_store& enrolments() { return enrolments_; }
    store::assessment_store& assessments() { return assessments_; }
    store::webhook_registry& webhooks() { return webhooks_; }
    store::event_outbox& outbox() { return outbox_; }
    store::persister& persister() { return persister_; }

    // An acknowledged write waits for its commit (durability sync).
    bool sync_durability() const { return durability_ == store::durability_mode::sync; }
    // A completion rule names a content type, so a ping needs its content's type from the catalog.
    bool completion_by_type() const { return completion_by_type_; }
    // Frames the start-up replayed from the write-ahead log (0 after a clean stop).
    const store::log_replay& replayed() const { return replayed_; }

private:
    store::durability_mode durability_;
    const logger& log_;
    store::lmdb_environment& environment_;
    store::log_replay replayed_;
    std::optional<store::write_ahead_log> write_ahead_;
    store::progress_store records_;
    store::catalog catalog_;
    store::enrolment_store enrolments_;
    store::assessment_store assessments_;
    store::webhook_registry webhooks_;
    store::event_outbox outbox_;
    store::persister persister_;  // last: it refers to everything above
    bool completion_by_type_;
};

}  // namespace progressd::app
