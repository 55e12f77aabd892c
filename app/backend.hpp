#pragma once
// What app::database runs its stores on: the embedded LMDB store (app/lmdb_backend.hpp) or a
// cluster node on PostgreSQL (app/cluster_backend.hpp). Chosen once at start (--store).
//
// Thread-safety: as write_behind; recover, start and stop belong to main, once each, in order.

#include "app/write_behind.hpp"
#include "store/persist/recovery.hpp"
#include "store/persist/write_ahead_log.hpp"

#include <string>

namespace progressd::app {

class cluster_backend;

// What recover() loaded, store by store (each also counts the entries it skipped as corrupt). A
// cluster node loads the shared stores only (catalog, webhooks): users come on first request.
struct recovery_summary {
    store::recovery_result records, catalog, enrolments, assessments, webhooks, outbox;
};

class backend : public write_behind {
public:
    // The address the server listens on ("host:port"), once it does, before recover().
    virtual void listening_on(const std::string& /*host_port*/) {}
    // Loads what must be in memory before the node is ready. Throws with what failed.
    virtual recovery_summary recover() = 0;
    // The persister's thread (and, in cluster mode, the membership's).
    virtual void start() = 0;
    // Writes everything still pending; false when something was left unwritten.
    virtual bool stop() = 0;
    // Frames the start-up replayed from LMDB's write-ahead log (none in cluster mode).
    virtual store::log_replay replayed() const { return {}; }
    // Cluster mode's node, or null for the embedded store.
    virtual cluster_backend* cluster() { return nullptr; }
};

}  // namespace progressd::app
