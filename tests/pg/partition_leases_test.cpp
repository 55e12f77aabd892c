#include "store/postgres/partition_leases.hpp"

#include "membership_fixture.hpp"
#include "sample_records.hpp"
#include "store/partition.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/transaction.hpp"
#include "store/rendezvous.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <thread>

using namespace progressd::store;
using progressd::testing::full_record;
using progressd::testing::membership_db;
using progressd::testing::owned_by;
using progressd::testing::partitions_of;
using progressd::testing::postgres_installed;
using progressd::testing::require_consistent;
using progressd::testing::share_of;
using progressd::testing::test_lease;
using progressd::testing::test_node;

namespace {

// A batch of one record for `user`, committed through the fence with `claims`.
pg_status write_fenced(connection& conn, const std::string& user, std::string_view owner,
                       const std::vector<partition_claim>& claims) {
    const record_key key{"", "lesson"};
    const auto record = full_record(1);
    const std::vector<record_row> rows{{user, key, record}};
    auto txn = transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    BOOST_REQUIRE(upsert_records(*txn, rows).ok());
    return fenced_commit(*txn, owner, claims);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_partition_leases, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(a_lone_node_acquires_every_partition_at_epoch_1, membership_db) {
    test_node a("node-a", conninfo, std::chrono::minutes(1));
    const auto first = a.period();
    BOOST_TEST(first.acquired.size() == partition_count);
    BOOST_TEST(std::all_of(first.acquired.begin(), first.acquired.end(), [](const auto& c) { return c.epoch == 1; }));
    BOOST_TEST(first.kept.empty());
    BOOST_TEST(a.flushes.empty());
    require_consistent(conn, {&a});

    // The next step only renews: nothing changes hands, no epoch moves, the leases are extended.
    auto before = conn.exec("SELECT min(lease_until)::text FROM partitions");
    BOOST_REQUIRE(before.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto second = a.period();
    BOOST_TEST(!second.changed());
    BOOST_TEST(second.kept.size() == partition_count);
    auto renewed = conn.exec("SELECT count(*)::text FROM partitions WHERE lease_until > '" +
                             std::string(*before->text(0, 0)) + "'::timestamptz AND lease_until > now()");
    BOOST_REQUIRE(renewed.ok());
    BOOST_TEST(*renewed->text(0, 0) == "1024");
    require_consistent(conn, {&a});
}

// The planned path: the owner flushes and releases the joiner's share, the joiner takes it at its
// next step, without waiting for any lease.
BOOST_FIXTURE_TEST_CASE(a_joining_node_takes_its_share_after_a_planned_handover, membership_db) {
    test_node a("node-a", conninfo, std::chrono::minutes(1));  // a lease nobody could wait out here
    test_node b("node-b", conninfo, std::chrono::minutes(1));
    a.period();
    const auto share = share_of("node-b", {"node-a", "node-b"});
    BOOST_TEST(share.size() > 400u);
    BOOST_TEST(share.size() < 624u);

    // B is live, but A holds every lease: B waits for A's handover.
    const auto early = b.period();
    BOOST_TEST(!early.changed());
    BOOST_TEST(b.keeper.claims().empty());

    const auto handing = a.period();
    BOOST_REQUIRE(a.flushes.size() == 1u);
    BOOST_TEST(partitions_of(a.flushes[0]) == share);
    BOOST_TEST(std::all_of(a.flushes[0].begin(), a.flushes[0].end(), [](const auto& c) { return c.epoch == 1; }));
    BOOST_TEST(partitions_of(handing.released) == share);
    BOOST_TEST(handing.kept.size() == partition_count - share.size());
    BOOST_TEST(handing.lost.empty());

    const auto joined = b.period();
    BOOST_TEST(partitions_of(joined.acquired) == share);
    BOOST_TEST(std::all_of(joined.acquired.begin(), joined.acquired.end(), [](const auto& c) { return c.epoch == 2; }));
    require_consistent(conn, {&a, &b});
    BOOST_TEST(owned_by(conn, "node-a") == share_of("node-a", {"node-a", "node-b"}));

    // Settled: further steps move nothing.
    BOOST_TEST(!a.period().changed());
    BOOST_TEST(!b.period().changed());
    BOOST_TEST(a.flushes.size() == 1u);
}

// Nothing is released whose writes did not reach PostgreSQL.
BOOST_FIXTURE_TEST_CASE(a_failed_flush_keeps_the_partitions, membership_db) {
    test_node a("node-a", conninfo, std::chrono::minutes(1));
    test_node b("node-b", conninfo, std::chrono::minutes(1));
    a.period();
    b.period();
    a.flush_succeeds = false;
    const auto refused = a.period();
    BOOST_TEST(a.flushes.size() == 1u);
    BOOST_TEST(refused.released.empty());
    BOOST_TEST(refused.kept.size() == partition_count);
    BOOST_TEST(b.period().acquired.empty());
    require_consistent(conn, {&a, &b});

    a.flush_succeeds = true;  // offered again at the next step
    const auto handed = a.period();
    BOOST_TEST(a.flushes.size() == 2u);
    BOOST_TEST(partitions_of(handed.released) == share_of("node-b", {"node-a", "node-b"}));
    BOOST_TEST(b.period().acquired.size() == handed.released.size());
    require_consistent(conn, {&a, &b});
}

// The crash path: a node that stops heartbeating loses its partitions to the survivor once the
// lease has passed, and its late batches are refused by the fence.
BOOST_FIXTURE_TEST_CASE(a_silent_node_is_taken_over_after_the_lease, membership_db) {
    test_node a("node-a", conninfo);
    test_node b("node-b", conninfo);
    a.period();
    b.period();
    const auto last_heartbeat = std::chrono::steady_clock::now();  // no later than the database's heartbeat_at
    a.period();
    b.period();
    require_consistent(conn, {&a, &b});
    const auto a_claims = a.keeper.claims();
    BOOST_REQUIRE(!a_claims.empty());

    // A falls silent (a crash, a pause). Within the lease, B leaves its partitions alone (checked
    // when this machine was quick enough for B's step to end within it).
    const auto within = b.period();
    if (std::chrono::steady_clock::now() - last_heartbeat < test_lease) BOOST_TEST(within.acquired.empty());

    // A user of one of A's partitions, and A's batch for it while A still holds it.
    std::string user;
    for (int i = 0; user.empty(); ++i) {
        const auto candidate = "user-" + std::to_string(i);
        if (partition_of(candidate) == a_claims.front().partition) user = candidate;
    }
    BOOST_TEST(write_fenced(a.conn, user, a.id, a_claims).ok());

    // B's periods go on; once A's heartbeat is older than the lease, B's step takes everything.
    std::vector<partition_claim> taken;
    while (taken.empty()) {
        const std::chrono::nanoseconds silent = std::chrono::steady_clock::now() - last_heartbeat;
        BOOST_TEST_REQUIRE(silent < 10 * test_lease);
        std::this_thread::sleep_for(test_lease / 6);
        taken = b.period().acquired;
    }
    const std::chrono::nanoseconds waited = std::chrono::steady_clock::now() - last_heartbeat;
    BOOST_TEST(waited >= test_lease);
    BOOST_TEST(partitions_of(taken) == partitions_of(a_claims));
    for (std::size_t i = 0; i < taken.size(); ++i) BOOST_TEST_REQUIRE(taken[i].epoch == a_claims[i].epoch + 1);
    BOOST_TEST(b.keeper.claims().size() == partition_count);

    // A's late batch, at its old epoch, is refused; B's, at the new one, commits.
    const auto late = write_fenced(a.conn, user, a.id, a_claims);
    BOOST_TEST((!late.ok() && late.error().code == pg_errc::fenced));
    BOOST_TEST(write_fenced(b.conn, user, b.id, taken).ok());

    // A wakes up: its next step finds every partition gone and reports them lost.
    const auto woken = a.step();
    BOOST_TEST(partitions_of(woken.lost) == partitions_of(a_claims));
    BOOST_TEST(woken.acquired.empty());
    BOOST_TEST(a.keeper.claims().empty());
    require_consistent(conn, {&a, &b});
}

// A planned shutdown: leave() releases at once, the others need no lease to pass.
BOOST_FIXTURE_TEST_CASE(leave_moves_the_partitions_at_the_next_step, membership_db) {
    test_node a("node-a", conninfo, std::chrono::minutes(1));
    test_node b("node-b", conninfo, std::chrono::minutes(1));
    test_node c("node-c", conninfo, std::chrono::minutes(1));
    for (int round = 0; round < 2; ++round) {
        a.period();
        b.period();
        c.period();
    }
    require_consistent(conn, {&a, &b, &c});
    const auto b_claims = b.keeper.claims();
    BOOST_REQUIRE(partitions_of(b_claims) == share_of("node-b", {"node-a", "node-b", "node-c"}));

    BOOST_REQUIRE(leave(b.conn, b.id).ok());
    const auto a_took = a.period();
    const auto c_took = c.period();
    std::vector<partition_claim> moved = a_took.acquired;
    moved.insert(moved.end(), c_took.acquired.begin(), c_took.acquired.end());
    std::sort(moved.begin(), moved.end(), [](const auto& x, const auto& y) { return x.partition < y.partition; });
    BOOST_TEST(partitions_of(moved) == partitions_of(b_claims));
    for (std::size_t i = 0; i < moved.size(); ++i) BOOST_TEST_REQUIRE(moved[i].epoch == b_claims[i].epoch + 1);
    // Only B's partitions moved, each to its rendezvous winner among the two left.
    BOOST_TEST(partitions_of(a.keeper.claims()) == share_of("node-a", {"node-a", "node-c"}));
    BOOST_TEST(partitions_of(c.keeper.claims()) == share_of("node-c", {"node-a", "node-c"}));
    BOOST_TEST(a_took.lost.empty());
    BOOST_TEST(c_took.lost.empty());
    BOOST_TEST(b.step().lost.size() == b_claims.size());  // B, had it gone on, would find them gone
    require_consistent(conn, {&a, &b, &c});
}

// A node restarted under the same id finds partitions in its name that it does not hold: it takes
// them again at a new epoch, so a leftover of its previous run can no longer commit.
BOOST_FIXTURE_TEST_CASE(a_restarted_node_takes_its_partitions_at_a_new_epoch, membership_db) {
    std::vector<partition_claim> old_claims;
    {
        test_node previous("node-a", conninfo, std::chrono::minutes(1));
        previous.period();
        old_claims = previous.keeper.claims();
    }
    test_node restarted("node-a", conninfo, std::chrono::minutes(1));
    const auto report = restarted.period();
    BOOST_TEST(report.acquired.size() == partition_count);
    BOOST_TEST(std::all_of(report.acquired.begin(), report.acquired.end(), [](const auto& c) { return c.epoch == 2; }));
    const auto stale = write_fenced(restarted.conn, "user-1", "node-a", old_claims);
    BOOST_TEST((!stale.ok() && stale.error().code == pg_errc::fenced));
    require_consistent(conn, {&restarted});
}

BOOST_AUTO_TEST_SUITE_END()
