#pragma once
// The durable outbox of webhook deliveries (docs/webhooks.md, "Delivery: at least once").
//
// An event becomes one delivery per target webhook. Deliveries are kept in memory and written to
// LMDB by the persister like every other change, in the batch of the generation they were given,
// so an event is durable together with the write that caused it: a sync-mode answer that
// acknowledged the write also acknowledged the event. A delivery is handed to the sender only once
// its generation is durable, so a receiver never hears of a change that a crash could still undo.
// It leaves the outbox when the receiver accepted it (2xx), when its webhook is gone or inactive,
// or after max_attempts failures (then the sender deactivates the webhook).
//
// Thread-safety: every member may be called from any thread; one mutex guards everything. The
// outbox is touched only when an event happens and by the sender, never on a plain ping.

#include "store/dirty_source.hpp"
#include "store/events.hpp"
#include "store/webhooks.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <utility>
#include <string>
#include <vector>

namespace progressd::store {

struct retry_policy {
    std::chrono::milliseconds first_backoff{1000};  // doubled after each failure …
    std::chrono::milliseconds max_backoff{3600 * 1000};  // … up to this
    std::uint32_t max_attempts = 20;  // about 14 hours with the defaults

    std::chrono::milliseconds backoff_after(std::uint32_t failures) const;
};

struct delivery {
    std::string webhook_id;
    progress_event event;
    std::uint32_t attempts = 0;  // failed so far
    std::int64_t next_attempt_at = 0;  // ms since epoch
    std::string last_error;  // of the last failed attempt, for logs and the deactivation reason

    friend bool operator==(const delivery&, const delivery&) = default;
};

struct outbox_stats {
    std::size_t pending = 0;
    std::uint64_t delivered = 0;        // accepted by their receivers
    std::uint64_t failed_attempts = 0;  // attempts that will be (or were last) retried
    std::uint64_t dropped = 0;          // given up: attempts exhausted, webhook gone or deactivated
};

// What the sender reports for one attempt.
enum class delivery_outcome : std::uint8_t { delivered, failed, abandoned };

class event_outbox : public dirty_source {
public:
    event_outbox(const std::atomic<std::uint64_t>& generation, retry_policy policy);

    // One delivery per target; returns the generation to wait for (0 when there were no targets).
    std::uint64_t publish(const progress_event& event, const webhook_list& targets, std::int64_t now_ms);

    struct due_delivery {
        std::string key;
        delivery value;
    };
    // Up to `limit` deliveries whose time has come and whose generation is durable, marked in
    // flight so no second sender takes them, oldest due first.
    std::vector<due_delivery> take_due(std::int64_t now_ms, std::uint64_t durable_generation, std::size_t limit);

    // How an attempt at a taken delivery ended. `failed` schedules the next attempt; returns true
    // when that was the last one allowed (the delivery is removed: the caller deactivates its
    // webhook). `abandoned` removes it (its webhook is gone).
    bool finish(const std::string& key, delivery_outcome outcome, std::int64_t now_ms, std::string error = {});

    // Removes every delivery for the webhook (deleted, deactivated). Returns how many.
    std::size_t drop_webhook(std::string_view webhook_id);

    std::size_t size() const;
    outbox_stats stats() const;

    void load(std::string key, delivery value);  // recovery: clean (durable already), due when it was

    // Cluster mode: the deliveries of an event belong to the node owning the event's user's
    // partition (store::partition_of(event.user_id)), which alone sends them.
    // adopt: deliveries read back from PostgreSQL when this node acquired their partition, clean
    // like load(); a key already held is kept as it is here (the copy in memory is the newer).
    // Returns how many were added.
    std::size_t adopt(std::vector<std::pair<std::string, delivery>> deliveries);
    // The node released or lost these partitions (ascending or not): their deliveries are
    // forgotten, not deleted. Nothing is written for them, not even a change still pending, since
    // the rows are the next owner's now; one in flight is forgotten too, and its finish() finds
    // nothing. Returns how many were forgotten.
    std::size_t drop_partitions(std::span<const std::uint32_t> partitions);

    std::size_t collect_changes(const change_visitor& emit) override;

    static std::string key_of(const progress_event& event, std::string_view webhook_id);

private:
    struct entry {
        delivery value;
        std::uint64_t generation = 0;  // 0: loaded from LMDB, durable already
        bool in_flight = false;
    };

    const std::atomic<std::uint64_t>& generation_;
    const retry_policy policy_;
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
    // The entries not in flight, by (next attempt, key): take_due reads the front instead of
    // walking a backlog that may be large while a receiver is down.
    std::set<std::pair<std::int64_t, std::string>> waiting_;
    std::set<std::string, std::less<>> dirty_;
    outbox_stats counters_;  // pending is filled in by stats()
};

}  // namespace progressd::store
