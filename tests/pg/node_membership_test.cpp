#include "store/postgres/node_membership.hpp"

// The membership thread against a real PostgreSQL: two nodes in one process split the partitions
// and publish them; a planned stop flushes, leaves, and the other node takes everything at its
// next step; a PostgreSQL outage stops the node serving after a lease and it recovers by itself; a
// paused node stops serving after a lease, loses its partitions and hears so when it wakes.

#include "membership_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::membership_db;
using progressd::testing::owned_by;
using progressd::testing::partitions_of;
using progressd::testing::postgres_installed;
using progressd::testing::share_of;

namespace {

using steady = std::chrono::steady_clock;

const progressd::logger test_log{progressd::log_level::info};

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    while (!done()) {
        if (steady::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// What a node's callbacks saw; written on its membership thread, read by the test.
struct recorder {
    mutable std::mutex mutex;
    std::vector<std::vector<partition_claim>> flushes;
    std::vector<std::size_t> owned_at_flush;  // the node's rows in `partitions` when each flush ran
    std::vector<std::uint32_t> lost;
    std::optional<connection> checker;  // used on the membership thread only, inside the flush

    std::vector<std::uint32_t> lost_so_far() const {
        std::lock_guard lock(mutex);
        return lost;
    }
};

// Blocks the membership thread at the start of its periods while closed: a paused process.
struct gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool closed = false;
    bool blocked = false;

    void pass() {
        std::unique_lock lock(mutex);
        blocked = closed;
        changed.notify_all();
        changed.wait(lock, [&] { return !closed; });
        blocked = false;
    }
    void close() {
        std::lock_guard lock(mutex);
        closed = true;
    }
    bool wait_blocked(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return blocked; });
    }
    void open() {
        {
            std::lock_guard lock(mutex);
            closed = false;
        }
        changed.notify_all();
    }
};

node_membership_options with_lease(std::chrono::milliseconds lease) {
    node_membership_options options;
    options.lease = lease;
    return options;
}

std::unique_ptr<node_membership> make_node(const std::string& conninfo, const std::string& id, recorder& seen,
                                           node_membership_options options) {
    options.on_change = [&seen](const reconcile_report& report) {
        std::lock_guard lock(seen.mutex);
        for (const auto& claim : report.lost) seen.lost.push_back(claim.partition);
    };
    auto flush = [&seen, id](std::span<const partition_claim> claims) {
        std::size_t owned = 0;
        if (seen.checker) {
            auto rows = seen.checker->exec("SELECT count(*) FROM partitions WHERE owner = '" + id + "'");
            if (rows) owned = std::stoul(std::string(rows->text(0, 0).value_or("0")));
        }
        std::lock_guard lock(seen.mutex);
        seen.flushes.emplace_back(claims.begin(), claims.end());
        seen.owned_at_flush.push_back(owned);
        return true;
    };
    return std::make_unique<node_membership>(conninfo, node_address{id, "http://" + id + ".test"}, flush,
                                             std::move(options), test_log);
}

// Both nodes hold their rendezvous share (together every partition, once), and each one's view
// names the right owner, with its address, for every partition.
bool settled(const node_membership& a, const node_membership& b) {
    const std::vector<std::string> live{"node-a", "node-b"};
    if (partitions_of(a.claims()) != share_of("node-a", live)) return false;
    if (partitions_of(b.claims()) != share_of("node-b", live)) return false;
    for (const auto* node : {&a, &b}) {
        for (std::uint32_t p = 0; p < partition_count; ++p) {
            const auto owner = node->owner_of(p);
            const std::string expected = a.owns(p) ? "node-a" : "node-b";
            if (!owner || owner->node_id != expected || owner->advertise_url != "http://" + expected + ".test") return false;
        }
    }
    return a.serving() && b.serving();
}

std::int64_t count_of(connection& conn, const std::string& sql) {
    auto rows = conn.exec(sql);
    BOOST_REQUIRE(rows.ok());
    return std::stoll(std::string(rows->text(0, 0).value_or("-1")));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(node_membership_thread, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(two_nodes_split_the_partitions_and_publish_them) {
    membership_db db;
    recorder seen_a, seen_b;
    auto a = make_node(db.conninfo, "node-a", seen_a, with_lease(300ms));
    auto b = make_node(db.conninfo, "node-b", seen_b, with_lease(300ms));
    BOOST_TEST(!a->serving());  // nothing renewed yet
    a->start();
    b->start();
    BOOST_REQUIRE(eventually([&] { return settled(*a, *b); }, 5s));
    BOOST_TEST(partitions_of(a->claims()) == owned_by(db.conn, "node-a"));
    BOOST_TEST(partitions_of(b->claims()) == owned_by(db.conn, "node-b"));
    const auto view = a->view();
    BOOST_TEST(view->claims.size() + b->claims().size() == partition_count);
    BOOST_TEST(a->version() > 0u);
    BOOST_TEST(a->stats().failures == 0u);
    BOOST_TEST(a->stop());
    BOOST_TEST(b->stop());
}

BOOST_AUTO_TEST_CASE(a_planned_stop_flushes_leaves_and_hands_everything_over_at_once) {
    membership_db db;
    recorder seen_a, seen_b;
    seen_a.checker.emplace(progressd::testing::connect_to(db.conninfo));
    // A long lease and a short period: the other node taking over within a period, not a lease,
    // is what shows that the stop released the partitions.
    auto options = with_lease(3000ms);
    options.period = 100ms;
    auto a = make_node(db.conninfo, "node-a", seen_a, options);
    auto b = make_node(db.conninfo, "node-b", seen_b, options);
    a->start();
    b->start();
    BOOST_REQUIRE(eventually([&] { return settled(*a, *b); }, 10s));

    const auto held = a->claims();
    BOOST_TEST(a->stop());
    const auto stopped = steady::now();
    BOOST_TEST(!a->serving());
    BOOST_TEST(!a->owns(held.front().partition));
    BOOST_REQUIRE(eventually([&] { return b->claims().size() == partition_count; }, 3000ms));
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - stopped).count() < 1500);
    {
        std::lock_guard lock(seen_a.mutex);
        BOOST_REQUIRE(!seen_a.flushes.empty());
        BOOST_TEST(partitions_of(seen_a.flushes.back()) == partitions_of(held));
        BOOST_TEST(seen_a.owned_at_flush.back() == held.size());  // flushed while still its own
    }
    BOOST_TEST(owned_by(db.conn, "node-a").empty());
    BOOST_TEST(count_of(db.conn, "SELECT count(*) FROM nodes WHERE node_id = 'node-a'") == 0);
    // Taken at the next epoch: the release kept it, the acquisition incremented it.
    const auto rows = progressd::testing::owners(db.conn);
    for (const auto& claim : held) BOOST_TEST_REQUIRE(rows[claim.partition].epoch == claim.epoch + 1);
    BOOST_TEST(b->stop());
}

BOOST_AUTO_TEST_CASE(postgres_down_stops_serving_after_a_lease_and_recovers_by_itself) {
    // A server of its own, so the outage disturbs no other suite.
    progressd::testing::pg_server server;
    const auto conninfo = server.create_database();
    {
        auto conn = progressd::testing::connect_to(conninfo);
        BOOST_REQUIRE(migrate(conn).ok());
    }
    recorder seen;
    auto options = with_lease(300ms);
    options.stop_timeout = 500ms;
    auto a = make_node(conninfo, "node-a", seen, options);
    a->start();
    BOOST_REQUIRE(eventually([&] { return a->serving() && a->claims().size() == partition_count; }, 5s));
    const auto held = a->claims();

    server.stop();
    const auto down = steady::now();
    BOOST_REQUIRE(eventually([&] { return !a->serving(); }, 2s));
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - down).count() <= 300 + 100);
    BOOST_TEST(eventually([&] { return a->stats().failures > 0; }, 2s));
    BOOST_TEST(a->claims().size() == partition_count);  // nobody could take them: still held

    server.start();
    BOOST_REQUIRE(eventually([&] { return a->serving(); }, 10s));
    const auto stats = a->stats();
    BOOST_TEST(stats.reconnects >= 1u);
    BOOST_TEST(stats.lost == 0u);
    BOOST_TEST(partitions_of(a->claims()) == partitions_of(held));
    BOOST_TEST(a->claims().front().epoch == held.front().epoch);  // renewed, not taken again
    BOOST_TEST(a->stop());
}

BOOST_AUTO_TEST_CASE(a_paused_node_stops_serving_loses_its_partitions_and_hears_so) {
    membership_db db;
    recorder seen_a, seen_b;
    gate paused;
    auto paused_options = with_lease(300ms);
    paused_options.before_period = [&paused] { paused.pass(); };
    auto a = make_node(db.conninfo, "node-a", seen_a, paused_options);
    auto b = make_node(db.conninfo, "node-b", seen_b, with_lease(300ms));
    a->start();
    b->start();
    BOOST_REQUIRE(eventually([&] { return settled(*a, *b); }, 5s));
    const auto held = a->claims();

    paused.close();
    BOOST_REQUIRE(paused.wait_blocked(2s));
    const auto pause = steady::now();
    BOOST_REQUIRE(eventually([&] { return !a->serving(); }, 2s));
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - pause).count() <= 300 + 100);
    // B takes them once A's heartbeat is a lease old, at the next epoch; A's view is stale, which
    // is why it must not serve.
    BOOST_REQUIRE(eventually([&] { return b->claims().size() == partition_count; }, 3s));
    BOOST_TEST(a->owns(held.front().partition));
    const auto rows = progressd::testing::owners(db.conn);
    for (const auto& claim : held) BOOST_TEST_REQUIRE(rows[claim.partition].epoch == claim.epoch + 1);
    BOOST_TEST(seen_a.lost_so_far().empty());

    paused.open();
    BOOST_REQUIRE(eventually([&] { return seen_a.lost_so_far().size() == held.size(); }, 3s));
    BOOST_TEST(seen_a.lost_so_far() == partitions_of(held));
    BOOST_TEST(a->stats().lost == held.size());
    // Live again, it gets its share back through B's handover.
    BOOST_TEST(eventually([&] { return settled(*a, *b); }, 5s));
    BOOST_TEST(a->stop());
    BOOST_TEST(b->stop());
}

BOOST_AUTO_TEST_SUITE_END()
