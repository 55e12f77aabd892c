#pragma once
// A cluster node on PostgreSQL (docs/cluster.md): the stores are a cache of the users of the
// partitions this node owns, written behind to PostgreSQL by the fenced persister
// (store/postgres/pg_persister.hpp), while the membership thread (store/postgres/node_membership.hpp)
// heartbeats, takes and hands over partitions. A user comes into memory on its first request
// (app/resident_users.hpp) and leaves it when the node passes its cache bound or gives the
// partition up. The catalog and the webhooks are whole on every node, kept current by a listener
// (store/postgres/shared_state_listener.hpp); webhook deliveries follow their user's partition
// (store/postgres/outbox_partitions.hpp).
//
// The server asks route() for each request's user: serve it here, load it first, forward it to
// its owner, or answer 503 while its partition has no owner.
//
// Its identity (--node-id, --advertise-url) defaults to the address the server listens on, known
// only once it listens (port 0 picks one): listening_on() completes it and builds the node's
// parts; until then the node is unhealthy and has nothing to write.
//
// Thread-safety: route, load_user and the write_behind members may be called from any thread
// once recover() returned (healthy and stats before that too); listening_on, recover, start and
// stop belong to main, in that order.

#include "app/backend.hpp"
#include "app/cluster_options.hpp"
#include "app/resident_users.hpp"
#include "app/stores.hpp"
#include "common/log.hpp"
#include "store/persist/durability.hpp"
#include "store/postgres/node_membership.hpp"
#include "store/postgres/outbox_partitions.hpp"
#include "store/postgres/pg_persister.hpp"
#include "store/postgres/shared_state_listener.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::app {

enum class user_route : std::uint8_t {
    here,       // owned and in memory: serve it
    read_only,  // owned and in memory, but the lease is in doubt (PostgreSQL unreachable for a
                // lease) in sync durability: reads are served from memory, writes refused (503)
    load_first, // owned, not in memory yet: load_user, then serve
    forward,    // owned by another live node: forward to route_decision::owner
    unowned,    // nobody may serve it now (no live owner; or this node's lease is in doubt and the user
                // is not in memory): 503
};

struct route_decision {
    user_route route = user_route::unowned;
    std::shared_ptr<const store::node_address> owner;  // for forward
};

class cluster_backend final : public backend {
public:
    cluster_backend(stores& data, cluster_options options, const logger& log);
    ~cluster_backend() override;

    void listening_on(const std::string& host_port) override;
    recovery_summary recover() override;
    void start() override;
    bool stop() override;
    cluster_backend* cluster() override { return this; }

    route_decision route(std::string_view user_id) const;
    // Where the shared state's API (the catalog, webhooks) is served: the owner of partition 0,
    // so that a change is read back on the node that made it (docs/cluster.md, "Shared state").
    route_decision route_shared() const;
    // Brings the user into memory (or joins the load under way); `done` runs once, on a loader
    // thread: hand off only.
    void load_user(std::string_view user_id, std::function<void(bool loaded)> done);
    const std::string& node_id() const { return options_.node_id; }
    // Null before listening_on().
    const store::node_membership* membership() const { return membership_ ? &*membership_ : nullptr; }
    const resident_users* residents() const { return residents_ ? &*residents_ : nullptr; }
    const store::shared_state_listener* shared_state() const { return shared_ ? &*shared_ : nullptr; }

    void when_durable(std::uint64_t generation, durable_callback callback) override;
    std::uint64_t durable_generation() const override;
    void request_flush() override;
    bool healthy() const override;
    bool writable() const override;
    bool falling_behind() const override { return false; }
    write_behind_stats stats() const override;
    const char* store_name() const override { return "PostgreSQL"; }

private:
    void partitions_changed(const store::reconcile_report& report);

    stores& data_;
    cluster_options options_;
    const logger& log_;
    // Built by listening_on(), in this order; each refers to the ones before it or after it only
    // through callbacks that run once start() has run.
    std::optional<store::pg_persister> persister_;
    std::optional<store::node_membership> membership_;
    std::optional<resident_users> residents_;
    // The catalog and webhooks other nodes change, applied here (docs/cluster.md, "Shared state").
    std::optional<store::shared_state_listener> shared_;
    // The webhook deliveries of the partitions this node owns ("Webhooks in a cluster").
    std::optional<store::outbox_partitions> deliveries_;
};

}  // namespace progressd::app
