#pragma once
// Everything progressd keeps, in one object: the in-memory stores (app/stores.hpp) and the
// backend that persists them, chosen at start (--store): the embedded LMDB store
// (app/lmdb_backend.hpp) or a cluster node on PostgreSQL (app/cluster_backend.hpp). Built once in
// main, before anything listens:
//
//   auto environment = store::open_data_dir(dir, map_size);
//   database data(environment, options, log);  // LMDB: replays the write-ahead log
//   // or: database data(cluster_options, options, log);
//   ... start listening ...
//   data.listening_on(address);    // a cluster node's identity defaults to it
//   data.recover();                // what must be in memory before the server is ready
//   data.start();                  // the persister thread (and the membership thread)
//   ... serve ...
//   data.stop();                   // the last flush
//
// Thread-safety: the stores and the backend are thread-safe (see each header); recover(),
// start() and stop() are called once each, from one thread.

#include "app/backend.hpp"
#include "app/cluster_options.hpp"
#include "app/stores.hpp"
#include "app/write_behind.hpp"
#include "common/log.hpp"
#include "store/persist/durability.hpp"
#include "store/persist/lmdb.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace progressd::app {

struct database_options {
    std::string data_dir = "./data";  // LMDB: where the write-ahead log lives, beside LMDB's files
    std::size_t shards = 64;
    store::merge_rules rules{};
    store::durability_mode durability = store::durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    std::chrono::milliseconds checkpoint_interval{30000};  // the embedded store's (store/persist/persister.hpp)
    std::size_t lmdb_max_map_size = 0;  // 0: grow without limit
    store::retry_policy webhook_retry{};
};

class database {
public:
    // The embedded store. Throws with what failed when the data dir's write-ahead log cannot be
    // replayed.
    database(store::lmdb_environment& environment, const database_options& options, const logger& log);
    // A cluster node; `cluster`'s durability and flush interval are taken from `options`.
    database(cluster_options cluster, const database_options& options, const logger& log);
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // The address the server listens on, once it does: a cluster node's default identity.
    void listening_on(const std::string& host_port) { backend_->listening_on(host_port); }
    // Throws with what failed (LMDB unreadable; PostgreSQL unreachable past its start timeout).
    recovery_summary recover() { return backend_->recover(); }
    void start() { backend_->start(); }
    // Writes everything still pending; false when that failed.
    bool stop() { return backend_->stop(); }

    store::progress_store& records() { return stores_.records; }
    store::catalog& catalog() { return stores_.catalog; }
    store::enrolment_store& enrolments() { return stores_.enrolments; }
    store::assessment_store& assessments() { return stores_.assessments; }
    store::webhook_registry& webhooks() { return stores_.webhooks; }
    store::event_outbox& outbox() { return stores_.outbox; }
    write_behind& persister() { return *backend_; }
    const write_behind& persister() const { return *backend_; }
    // Cluster mode's node (routing, loading users); null on the embedded store.
    cluster_backend* cluster() { return backend_->cluster(); }

    // The generation the reply to a write of `generation` waits for (0: none, and for a write
    // that changed nothing). Sync durability: the write's own, so that a reply means it is on disk.
    // Snapshot durability, while the persister is falling behind (store/persist/persister.hpp):
    // the one before, the batch being written, so that writes cannot outrun the persister and
    // what a crash may lose stays bounded however busy the machine is; the reply does not wait for
    // the write's own batch, so the I/O threads work on while that one is written.
    std::uint64_t reply_waits_for(std::uint64_t generation) const {
        if (generation == 0) return 0;
        if (durability_ == store::durability_mode::sync) return generation;
        return generation > 1 && backend_->falling_behind() ? generation - 1 : 0;
    }
    // A completion rule names a content type, so a ping needs its content's type from the catalog.
    bool completion_by_type() const { return completion_by_type_; }
    // Frames the start-up replayed from the write-ahead log (0 after a clean stop, and in cluster mode).
    store::log_replay replayed() const { return backend_->replayed(); }

private:
    store::durability_mode durability_;
    stores stores_;
    std::unique_ptr<backend> backend_;  // after the stores: it refers to them
    bool completion_by_type_;
};

}  // namespace progressd::app
