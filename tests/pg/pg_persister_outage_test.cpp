#include "store/postgres/pg_persister.hpp"

// The write-behind persister while PostgreSQL is down: unhealthy, sync waiters refused, snapshot
// changes buffered up to the bound, a handover flush refused; after the restart it reconnects by
// itself and commits everything it kept. On a server of its own, so the outage disturbs no other
// suite.

#include "persister_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::eventually;
using progressd::testing::persister_db;
using progressd::testing::postgres_installed;

namespace {

bool durable(pg_persister& persister, std::uint64_t generation) {
    std::promise<bool> answered;
    auto answer = answered.get_future();
    persister.when_durable(generation, [&](bool committed) { answered.set_value(committed); });
    BOOST_REQUIRE_MESSAGE(answer.wait_for(5s) == std::future_status::ready, "the waiter was never answered");
    return answer.get();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_persister_outage, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(postgres_restarted_loses_nothing) {
    progressd::testing::pg_server server;
    persister_db db(server.create_database());
    const auto alice = db.own("alice");
    auto persister = db.make_persister({durability_mode::sync, 100ms, /*max_pending=*/3, /*stop_timeout=*/500ms});
    persister->start();
    BOOST_REQUIRE(durable(*persister, db.play("alice", 1)));

    server.stop();
    // A sync write is not acknowledged while PostgreSQL is down: refused, kept, retried.
    BOOST_TEST(!durable(*persister, db.play("alice", 2)));
    BOOST_TEST(!persister->healthy());
    BOOST_TEST(persister->stats().failures >= 1u);
    // Snapshot-style changes pile up to the bound, where the server would answer 503.
    BOOST_TEST(!persister->over_bound());
    for (const char* content : {"intro", "quiz"}) db.records.apply_ping("alice", progressd::testing::watch(content, 7), 1'700'000'000'000);
    BOOST_TEST(eventually([&] { return persister->over_bound(); }, 3s));
    BOOST_TEST(persister->stats().pending == 3u);
    BOOST_TEST(!persister->flush_partitions(std::vector{alice}));

    server.start();
    BOOST_REQUIRE(eventually([&] { return persister->healthy(); }, 10s));
    BOOST_TEST(!persister->over_bound());
    auto checker = progressd::testing::open_or_fail(db.conninfo);
    BOOST_TEST(persister_db::position_in(checker, "alice") == 2.0);  // the refused write, kept and committed
    BOOST_TEST(progressd::testing::scalar(checker, "SELECT count(*) FROM records WHERE user_id = 'alice'") == "3");
    const auto stats = persister->stats();
    BOOST_TEST(stats.pending == 0u);
    BOOST_TEST(stats.reconnects >= 1u);
    BOOST_TEST(stats.dropped_changes == 0u);

    BOOST_TEST(durable(*persister, db.play("alice", 3)));
    BOOST_TEST(persister_db::position_in(checker, "alice") == 3.0);

    // Stopped while PostgreSQL is down: it tries until its timeout, then says it could not.
    server.stop();
    db.play("alice", 4);
    const auto stopping = std::chrono::steady_clock::now();
    BOOST_TEST(!persister->stop());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping);
    BOOST_TEST(took.count() < 3000);
    BOOST_TEST(persister->stats().pending == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
