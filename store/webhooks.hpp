#pragma once
// The registered webhooks (docs/webhooks.md): where events go. Few (at most max_webhooks), changed
// rarely, read on every event: readers get an immutable snapshot, writers replace it.
//
// Thread-safety: every member may be called from any thread; one mutex guards the map, the dirty
// set and the snapshot pointer.

#include "store/dirty_source.hpp"
#include "store/events.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

inline constexpr std::size_t max_webhooks = 100;

struct webhook {
    std::string id;
    std::string target_url;
    std::optional<event_type> only{};  // nullopt: every event
    bool active = true;
    std::string deactivate_reason;  // set when the server deactivated it; empty: none
    std::string basic_auth_username;  // empty: no Authorization header
    std::string basic_auth_password;
    std::string secret;  // the HMAC key the deliveries are signed with
    std::int64_t created_at = 0;

    bool wants(event_type type) const { return active && (!only || *only == type); }
    friend bool operator==(const webhook&, const webhook&) = default;
};

using webhook_list = std::vector<webhook>;  // ordered by id

class webhook_registry : public dirty_source {
public:
    // `generation` is the store's flush counter (progress_store::generation_counter()).
    explicit webhook_registry(const std::atomic<std::uint64_t>& generation);

    std::shared_ptr<const webhook_list> snapshot() const;
    std::optional<webhook> find(std::string_view id) const;
    // Whether any webhook is active: when none is, no event is even made.
    bool any_active() const { return any_active_.load(std::memory_order_acquire); }

    // The webhooks an event of `type` goes to: active, subscribed to it, and one per target URL
    // (the first by id), as the document asks.
    webhook_list targets_for(event_type type) const;

    // Each returns the generation of the change, or nullopt when it was refused: creating beyond
    // max_webhooks or over an existing id; changing or removing an unknown id.
    std::optional<std::uint64_t> create(webhook value);
    std::optional<std::uint64_t> update(std::string_view id, const std::function<void(webhook&)>& change);
    std::optional<std::uint64_t> remove(std::string_view id);

    // Recovery: a webhook read back from LMDB, clean.
    void load(webhook value);

    // Changes another cluster node made, read back from PostgreSQL (store/postgres/
    // shared_state_listener.hpp), applied clean as catalog::apply_remote applies them, for the
    // same reasons: never marked dirty (no echo), an id dirty here left alone (its local change is
    // newer and will be written), an equal webhook no change. Returns how many webhooks changed.
    //
    // apply_remote: each id of `ids` takes the webhook of `rows` with that id, or is removed when
    // `rows` has none. replace_remote: the registry becomes `rows`, webhooks absent from them removed.
    std::size_t apply_remote(const std::vector<std::string>& ids, std::vector<webhook> rows);
    std::size_t replace_remote(std::vector<webhook> rows);

    std::size_t collect_changes(const change_visitor& emit) override;

private:
    // Under mutex_.
    std::uint64_t changed(const std::string& id);  // marks dirty, republishes
    void republish();
    bool apply_one(const std::string& id, webhook* row);  // apply_remote's step for one id

    const std::atomic<std::uint64_t>& generation_;
    mutable std::mutex mutex_;
    std::map<std::string, webhook, std::less<>> hooks_;
    std::set<std::string> dirty_;
    std::shared_ptr<const webhook_list> snapshot_;
    std::atomic<bool> any_active_{false};
};

}  // namespace progressd::store
