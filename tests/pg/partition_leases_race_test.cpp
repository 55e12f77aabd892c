#include "store/postgres/partition_leases.hpp"

#include "membership_fixture.hpp"
#include "store/postgres/transaction.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <thread>
#include <tuple>

using namespace progressd::store;
using progressd::testing::membership_db;
using progressd::testing::postgres_installed;
using progressd::testing::require_consistent;
using progressd::testing::share_of;
using progressd::testing::test_lease;
using progressd::testing::test_node;

namespace {

// Every change of owner or epoch, as the database saw it: the trigger runs inside the changing
// transaction, so the log holds exactly the committed ones.
constexpr std::string_view ownership_log = R"sql(
CREATE TABLE ownership_log (partition integer, owner text, epoch bigint);
CREATE FUNCTION log_ownership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner IS NOT NULL AND (OLD.owner IS DISTINCT FROM NEW.owner OR OLD.epoch <> NEW.epoch) THEN
        INSERT INTO ownership_log VALUES (NEW.partition, NEW.owner, NEW.epoch);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER log_ownership AFTER UPDATE ON partitions FOR EACH ROW EXECUTE FUNCTION log_ownership();
)sql";

using ms = std::chrono::milliseconds;

// One node's membership loop on its own thread, following a script. Boost.Test's assertions are
// not thread-safe: the loop only records, the test checks after the join.
struct script {
    ms join{0};          // first heartbeat
    ms stop{0};          // then stops: falls silent, or leaves
    bool leaves = false;
    ms rejoin{0};        // 0: never; otherwise comes back as a new run of the same id
};

struct node_log {
    std::vector<partition_claim> acquired;
    std::vector<pg_error> errors;
    int steps = 0;
    int flushes = 0;
    int flushes_fenced = 0;
};

void run_node(test_node& node, const script& plan, ms end, node_log& log) {
    const auto started = std::chrono::steady_clock::now();
    const auto at = [&](ms offset) { return started + offset; };
    const auto flush = [&](std::span<const partition_claim> claims) {
        // What a real flush does last: a fenced commit at the claims being handed over.
        ++log.flushes;
        auto txn = transaction::begin(node.conn);
        if (!txn) return false;
        const bool committed = fenced_commit(*txn, node.id, claims).ok();
        if (!committed) ++log.flushes_fenced;
        return committed;
    };
    const auto loop_until = [&](ms until) {
        while (std::chrono::steady_clock::now() < at(until)) {
            if (auto beat = heartbeat(node.conn, node.id, "http://" + node.id); !beat) log.errors.push_back(beat.error());
            auto report = node.keeper.reconcile(node.conn, flush);
            ++log.steps;
            log.acquired.insert(log.acquired.end(), report.acquired.begin(), report.acquired.end());
            if (report.error) log.errors.push_back(*report.error);
            std::this_thread::sleep_for(ms(25));
        }
    };
    std::this_thread::sleep_until(at(plan.join));
    loop_until(plan.stop == ms(0) ? end : plan.stop);
    if (plan.leaves) {
        if (auto left = leave(node.conn, node.id); !left) log.errors.push_back(left.error());
    }
    if (plan.rejoin != ms(0)) {
        std::this_thread::sleep_until(at(plan.rejoin));
        node.keeper = lease_keeper(node.id, node.keeper.lease());  // a new run knows nothing held
        loop_until(end);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_partition_leases_race, *boost::unit_test::precondition(postgres_installed{}))

// Three nodes reconcile at once while they join, one leaves and comes back, and one falls silent:
// no partition ever has two owners at one epoch, no acquisition is reported twice, and once the
// survivors settle they hold exactly their rendezvous shares.
BOOST_FIXTURE_TEST_CASE(concurrent_nodes_never_share_a_partition_epoch, membership_db) {
    BOOST_REQUIRE(conn.exec(ownership_log).ok());
    test_node a("node-a", conninfo);
    test_node b("node-b", conninfo);
    test_node c("node-c", conninfo);
    const ms end{1600};
    const std::array<script, 3> plans{{
        {ms(0), ms(0), false, ms(0)},         // a: the whole time
        {ms(100), ms(900), true, ms(1050)},   // b: joins, leaves (planned), comes back as a new run
        {ms(250), ms(800), false, ms(0)},     // c: joins, then falls silent (a crash) for good
    }};
    std::array<node_log, 3> logs;
    std::array<test_node*, 3> nodes{&a, &b, &c};
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            threads.emplace_back([&, i] { run_node(*nodes[i], plans[i], end, logs[i]); });
        }
    }

    // Failures a step may meet under this load are retried by the next step; a deadlock or a
    // malformed row would be a bug.
    for (std::size_t i = 0; i < logs.size(); ++i) {
        BOOST_TEST_CONTEXT(nodes[i]->id) {
            BOOST_TEST(logs[i].steps > 5);
            for (const auto& error : logs[i].errors) {
                BOOST_TEST_MESSAGE(nodes[i]->id << ": " << error.sqlstate << " " << error.message);
                BOOST_TEST((error.sqlstate == "55P03" || error.sqlstate == "40001"));
            }
        }
    }

    // The database's own record: one owner per (partition, epoch), each acquisition once.
    auto shared = conn.exec("SELECT count(*)::text FROM (SELECT partition, epoch FROM ownership_log "
                            "GROUP BY partition, epoch HAVING count(*) > 1) AS twice");
    BOOST_REQUIRE(shared.ok());
    BOOST_TEST(*shared->text(0, 0) == "0");
    auto logged = conn.exec("SELECT partition::text, epoch::text, owner FROM ownership_log");
    BOOST_REQUIRE(logged.ok());
    std::map<std::tuple<std::uint32_t, std::int64_t>, std::string> owner_at;
    for (int i = 0; i < logged->rows(); ++i) {
        owner_at[{static_cast<std::uint32_t>(std::stoul(std::string(*logged->text(i, 0)))),
                  std::stoll(std::string(*logged->text(i, 1)))}] = std::string(*logged->text(i, 2));
    }
    // Ownership really moved around: more acquisitions than partitions.
    BOOST_TEST(owner_at.size() > partition_count);

    // What the keepers reported is what the database committed, and no claim twice.
    std::size_t reported = 0;
    std::map<std::tuple<std::uint32_t, std::int64_t>, std::string> reported_by;
    for (std::size_t i = 0; i < logs.size(); ++i) {
        for (const auto& claim : logs[i].acquired) {
            ++reported;
            const auto key = std::make_tuple(claim.partition, claim.epoch);
            BOOST_TEST_REQUIRE(!reported_by.contains(key));
            reported_by[key] = nodes[i]->id;
            BOOST_TEST_REQUIRE(owner_at[key] == nodes[i]->id);
        }
    }
    BOOST_TEST(reported > partition_count);

    // The survivors settle on their shares within a few periods, without c.
    for (int round = 0; round < 3; ++round) {
        a.period();
        b.period();
    }
    BOOST_TEST(!a.period().changed());
    BOOST_TEST(!b.period().changed());
    require_consistent(conn, {&a, &b});
    BOOST_TEST(progressd::testing::partitions_of(a.keeper.claims()) == share_of("node-a", {"node-a", "node-b"}));
}

BOOST_AUTO_TEST_SUITE_END()
