#include "store/postgres/pg_persister.hpp"

// The write-behind persister against a real PostgreSQL: snapshot batches, sync waiters and group
// commit, stop(), and the changes of partitions this node never held.

#include "persister_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::eventually;
using progressd::testing::persister_db;
using progressd::testing::postgres_installed;

namespace {

// Whether the callback got true, waiting up to `timeout` for it.
bool outcome_of(std::future<bool>& answered, std::chrono::milliseconds timeout = 5s) {
    BOOST_REQUIRE_MESSAGE(answered.wait_for(timeout) == std::future_status::ready, "the waiter was never answered");
    return answered.get();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_persister_suite, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(snapshot_batches_arrive_within_the_interval, persister_db) {
    own("alice");
    own("bob");
    auto persister = make_persister({durability_mode::snapshot, 200ms});
    persister->start();

    const auto written = std::chrono::steady_clock::now();
    play("alice", 12);
    play("bob", 34);
    BOOST_REQUIRE(eventually([&] { return position_in_pg("alice") != no_row && position_in_pg("bob") != no_row; }, 2s));
    const auto took = std::chrono::steady_clock::now() - written;
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 200 + 300);
    BOOST_TEST(position_in_pg("alice") == 12);
    BOOST_TEST(position_in_pg("bob") == 34);

    // A later change replaces the row at the next batch.
    play("alice", 56);
    BOOST_REQUIRE(eventually([&] { return position_in_pg("alice") == 56.0; }, 2s));
    const auto stats = persister->stats();
    BOOST_TEST(stats.flushes >= 2u);
    BOOST_TEST(stats.changes_written >= 3u);
    BOOST_TEST(stats.pending == 0u);
    BOOST_TEST(stats.failures == 0u);
    BOOST_TEST(persister->healthy());
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(a_sync_waiter_is_released_after_the_commit, persister_db) {
    own("alice");
    // A long interval: only the waiter starts the batch.
    auto persister = make_persister({durability_mode::sync, 1h});
    persister->start();
    auto checker = progressd::testing::open_or_fail(conninfo);

    const auto generation = play("alice", 77);
    std::promise<bool> answered;
    auto answer = answered.get_future();
    double seen_in_pg = no_row;
    persister->when_durable(generation, [&](bool committed) {
        // On the persister thread, before anything else can write: the row must be there now.
        // (No Boost.Test call here: it is not thread-safe.)
        auto rows = checker.exec("SELECT position_seconds FROM records WHERE user_id = 'alice'");
        if (rows.ok() && rows->rows() == 1) seen_in_pg = std::stod(std::string(*rows->text(0, 0)));
        answered.set_value(committed);
    });
    BOOST_TEST(outcome_of(answer));
    BOOST_TEST(seen_in_pg == 77.0);
    BOOST_TEST(persister->durable_generation() >= generation);

    // Already durable: answered at once, on the caller's thread.
    bool at_once = false;
    persister->when_durable(generation, [&](bool committed) { at_once = committed; });
    BOOST_TEST(at_once);
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(sync_waiters_share_transactions, persister_db) {
    for (const auto& user : progressd::testing::sample_users) own(user);
    // Every transaction that writes records logs its id: what PostgreSQL itself counts.
    BOOST_REQUIRE(conn.exec(R"sql(
CREATE TABLE txlog (txid bigint);
CREATE FUNCTION log_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO txlog VALUES (txid_current()); RETURN NULL; END $$;
CREATE TRIGGER log_tx AFTER INSERT OR UPDATE OR DELETE ON records FOR EACH STATEMENT EXECUTE FUNCTION log_tx();
)sql").ok());
    auto persister = make_persister({durability_mode::sync, 1h});
    persister->start();

    constexpr int writes_per_user = 25;
    std::atomic<int> refused{0};
    std::vector<std::thread> writers;
    for (const auto& user : progressd::testing::sample_users) {
        writers.emplace_back([&, user] {
            for (int i = 1; i <= writes_per_user; ++i) {
                std::promise<bool> answered;
                auto answer = answered.get_future();
                persister->when_durable(play(user, i), [&](bool committed) { answered.set_value(committed); });
                if (answer.wait_for(5s) != std::future_status::ready || !answer.get()) ++refused;
            }
        });
    }
    for (auto& writer : writers) writer.join();
    BOOST_TEST(refused.load() == 0);

    const int writes = writes_per_user * static_cast<int>(progressd::testing::sample_users.size());
    const auto transactions = std::stoi(progressd::testing::scalar(conn, "SELECT count(DISTINCT txid) FROM txlog"));
    BOOST_TEST_MESSAGE(writes << " acknowledged writes in " << transactions << " transactions");
    BOOST_TEST(transactions == static_cast<int>(persister->stats().flushes));
    BOOST_TEST(transactions * 2 <= writes);  // eight writers waiting at once share their commits
    for (const auto& user : progressd::testing::sample_users) BOOST_TEST(position_in_pg(user) == double(writes_per_user));
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(stop_writes_what_is_left, persister_db) {
    own("alice");
    auto persister = make_persister({durability_mode::snapshot, 1h});
    persister->start();
    play("alice", 5);
    BOOST_TEST(position_in_pg("alice") == no_row);
    BOOST_TEST(persister->stop());
    BOOST_TEST(position_in_pg("alice") == 5.0);
    BOOST_TEST(persister->stats().pending == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_partition_never_claimed_is_held_back_until_claimed, persister_db) {
    own("alice");
    auto persister = make_persister({durability_mode::snapshot, 1h});
    persister->start();

    // dave's partition is nobody's yet: his change is kept, never written unfenced.
    play("dave", 9);
    play("alice", 1);
    std::promise<bool> dave_answered, alice_answered;
    auto dave_answer = dave_answered.get_future(), alice_answer = alice_answered.get_future();
    persister->when_durable(records.current_generation(), partition_of("dave"),
                            [&](bool committed) { dave_answered.set_value(committed); });
    persister->when_durable(records.current_generation(), partition_of("alice"),
                            [&](bool committed) { alice_answered.set_value(committed); });
    BOOST_TEST(!outcome_of(dave_answer));  // not acknowledged
    BOOST_TEST(outcome_of(alice_answer));
    BOOST_TEST(position_in_pg("alice") == 1.0);
    BOOST_TEST(position_in_pg("dave") == no_row);
    BOOST_TEST(persister->stats().held_back == 1u);
    BOOST_TEST(persister->stats().pending == 1u);

    // Its first claim: written at that epoch.
    own("dave", 4);
    persister->request_flush();
    BOOST_REQUIRE(eventually([&] { return position_in_pg("dave") != no_row; }));
    BOOST_TEST(position_in_pg("dave") == 9);
    BOOST_TEST(persister->stats().held_back == 0u);
    BOOST_TEST(persister->stats().dropped_changes == 0u);
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(stop_reports_what_it_could_not_write, persister_db) {
    auto persister = make_persister({durability_mode::snapshot, 1h, 1'000'000, 300ms});
    persister->start();
    play("erin", 3);  // never claimed
    BOOST_TEST(!persister->stop());
    BOOST_TEST(position_in_pg("erin") == no_row);
}

BOOST_AUTO_TEST_SUITE_END()
