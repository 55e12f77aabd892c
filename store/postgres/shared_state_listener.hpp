#pragma once
// Keeps a cluster node's copy of the shared state (the catalog and the webhooks) current with
// what the other nodes write (docs/cluster.md, "Shared state").
//
// Every batch that writes catalog or webhook rows sends a notice on commit (shared_notice.hpp).
// This thread LISTENs on its own connection, waits for notices (poll on the connection's socket),
// reads the rows they name back by id and applies them to the stores with apply_remote: clean
// (never written back, so no node echoes another's change) and never over an id still dirty here
// (that local change is newer, and its own notice follows its commit). A row named and not found
// was deleted. Notices that arrive together are read back together, one query per table.
//
// Notices sent while the connection is down are lost, so after every connect (the first
// included) the thread LISTENs first and then reloads both tables whole (replace_remote); it
// also reloads them every full_reload_interval as a safety net. A broken connection is replaced
// with backoff (100 ms doubling to 5 s by default).
//
// The node's own notices come back too and find nothing to change. A change collected by the
// persister and not yet committed is no longer dirty; a notice read meanwhile may briefly put the
// older row back, until this change's own notice arrives: the copies converge on the row
// PostgreSQL holds, which is the last committed write.
//
// Thread-safety: start() and stop() from one thread; stats() and listening() from any.

#include "common/log.hpp"
#include "store/catalog.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/shared_notice.hpp"
#include "store/webhooks.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace progressd::store {

struct shared_state_listener_options {
    std::chrono::milliseconds full_reload_interval{30000};
    std::chrono::milliseconds first_backoff{100};  // doubled after each failed connect, …
    std::chrono::milliseconds max_backoff{5000};   // … up to this
    // The backend process of this node's own write-behind connection (pg_persister::backend_pid).
    // Its notices are skipped: the node holds its own changes already, and re-reading a row that
    // an older notice names can bring back, for a moment, what the node has since changed and
    // committed (a webhook deleted read back as it was before). Empty: every notice is applied.
    std::function<int()> own_backend_pid{};
};

struct shared_state_stats {
    std::uint64_t notices = 0;       // notices handled (applied, or skipped as the node's own)
    std::uint64_t key_loads = 0;     // reads of the rows notices named (one per table per wake-up)
    std::uint64_t full_reloads = 0;  // whole reloads of both tables (connects, the interval, `*`)
    std::uint64_t applied = 0;       // entries and webhooks that changed here
    std::uint64_t connects = 0;      // connections that reached LISTEN
    std::uint64_t failures = 0;      // connects, reads or waits that failed
};

class shared_state_listener {
public:
    shared_state_listener(catalog& catalog, webhook_registry& webhooks, std::string conninfo,
                          shared_state_listener_options options, const logger& log);
    ~shared_state_listener();  // stops
    shared_state_listener(const shared_state_listener&) = delete;
    shared_state_listener& operator=(const shared_state_listener&) = delete;

    void start();
    void stop();  // returns within a moment: the wait is woken

    // Connected and LISTENing, the last full reload done: changes reach this node within moments.
    bool listening() const { return listening_.load(std::memory_order_acquire); }
    shared_state_stats stats() const;

private:
    // Keys named by the notices of one wake-up, per table.
    struct wanted {
        bool whole = false;
        std::set<std::string> keys;
    };

    void run();
    bool connect();        // open, LISTEN, reload whole
    bool reload_whole();
    bool wait_and_apply(std::chrono::milliseconds timeout);  // false: the connection broke
    bool apply(wanted& catalog_keys, wanted& webhook_keys);
    void failed(std::string_view what, const std::string& error);
    void pause(std::chrono::milliseconds how_long);  // woken early by stop()
    void count(std::uint64_t shared_state_stats::*counter, std::uint64_t by = 1);

    catalog& catalog_;
    webhook_registry& webhooks_;
    const std::string conninfo_;
    const shared_state_listener_options options_;
    const logger& log_;

    std::thread thread_;
    int wake_[2] = {-1, -1};  // a pipe: stop() writes, the waits poll it
    std::atomic<bool> stopping_{false};
    std::atomic<bool> listening_{false};
    mutable std::mutex mutex_;  // guards stats_
    shared_state_stats stats_;

    // The thread's own.
    std::optional<connection> conn_;
    std::chrono::steady_clock::time_point last_reload_{};
};

}  // namespace progressd::store
