#include "store/postgres/pg_persister.hpp"

// The write-behind persister when partitions move: a batch refused by the fence commits the
// partitions still held and drops the lost one's changes, counted; the handover flush.

#include "persister_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::eventually;
using progressd::testing::persister_db;
using progressd::testing::postgres_installed;

namespace {

// Registers a waiter for the user's latest write (by partition when `by_partition`) and returns
// its answer's future.
std::future<bool> wait_for(pg_persister& persister, std::uint64_t generation, std::optional<std::uint32_t> partition) {
    auto answered = std::make_shared<std::promise<bool>>();
    auto answer = answered->get_future();
    auto callback = [answered](bool committed) { answered->set_value(committed); };
    if (partition) persister.when_durable(generation, *partition, callback);
    else persister.when_durable(generation, callback);
    return answer;
}

bool answer_of(std::future<bool>& answer) {
    BOOST_REQUIRE_MESSAGE(answer.wait_for(5s) == std::future_status::ready, "the waiter was never answered");
    return answer.get();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_persister_fencing, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(a_lost_partition_is_split_off_and_the_rest_commits, persister_db) {
    const auto alice = own("alice");
    const auto bob = own("bob");
    BOOST_REQUIRE(alice.partition != bob.partition);
    auto persister = make_persister({durability_mode::sync, 1h});
    persister->start();

    auto first = wait_for(*persister, std::max(play("alice", 1), play("bob", 1)), std::nullopt);
    BOOST_REQUIRE(answer_of(first));
    BOOST_REQUIRE(position_in_pg("bob") == 1.0);

    // Another node takes bob's partition over; this node's keeper has not noticed yet.
    set_owner(bob.partition, "node-b", bob.epoch + 1);
    const auto alice_write = play("alice", 2);
    const auto bob_write = play("bob", 2);
    auto alice_answer = wait_for(*persister, alice_write, alice.partition);
    auto bob_answer = wait_for(*persister, bob_write, bob.partition);
    auto plain_answer = wait_for(*persister, bob_write, std::nullopt);
    BOOST_TEST(answer_of(alice_answer));   // committed in the retry without bob
    BOOST_TEST(!answer_of(bob_answer));    // dropped: the new owner's now
    BOOST_TEST(!answer_of(plain_answer));  // cannot tell whose: not acknowledged
    BOOST_TEST(position_in_pg("alice") == 2.0);
    BOOST_TEST(position_in_pg("bob") == 1.0);  // never overwritten by the stale owner
    auto stats = persister->stats();
    BOOST_TEST(stats.fenced == 1u);
    BOOST_TEST(stats.dropped_changes == 1u);
    BOOST_TEST(stats.dropped_partitions == 1u);
    BOOST_TEST(stats.failures == 0u);
    BOOST_TEST(persister->healthy());

    // Still listed by the stale keeper: bob's next change is dropped at once, without another
    // refused commit; alice's go on.
    auto later = wait_for(*persister, std::max(play("bob", 3), play("alice", 3)), alice.partition);
    BOOST_TEST(answer_of(later));
    BOOST_TEST(position_in_pg("alice") == 3.0);
    BOOST_TEST(position_in_pg("bob") == 1.0);
    stats = persister->stats();
    BOOST_TEST(stats.fenced == 1u);
    BOOST_TEST(stats.dropped_changes == 2u);
    BOOST_TEST(stats.pending == 0u);

    // Taken again by this node at a newer epoch (it reloaded bob from PostgreSQL): written again.
    // (One batch in between: a waiter is also refused when the batch before its own dropped its
    // partition, since that batch may have collected its write.)
    const auto retaken = own("bob", bob.epoch + 2);
    BOOST_TEST(persister->flush_partitions(std::vector{retaken}));
    auto again = wait_for(*persister, play("bob", 4), bob.partition);
    BOOST_TEST(answer_of(again));
    BOOST_TEST(position_in_pg("bob") == 4.0);
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(changes_of_an_ended_tenure_are_not_written_at_the_next, persister_db) {
    const auto carol = own("carol", 3);
    auto persister = make_persister({durability_mode::snapshot, 1h});
    persister->start();
    play("carol", 1);
    BOOST_REQUIRE(persister->flush_partitions(std::vector{carol}));
    BOOST_REQUIRE(position_in_pg("carol") == 1.0);

    // carol's partition is lost and taken back at epoch 5 between two batches; her change from
    // epoch 3 is stale (the node reloaded her) and must not land at epoch 5.
    play("carol", 2);
    {
        std::lock_guard lock(claims_mutex);
        claims.clear();
    }
    persister->request_flush();
    BOOST_REQUIRE(eventually([&] { return persister->stats().dropped_changes == 1u; }));
    BOOST_TEST(position_in_pg("carol") == 1.0);
    BOOST_TEST(persister->stats().pending == 0u);

    // The new tenure's own changes are written at its epoch.
    const auto retaken = own("carol", 5);
    play("carol", 6);
    BOOST_TEST(persister->flush_partitions(std::vector{retaken}));
    BOOST_TEST(position_in_pg("carol") == 6.0);
    BOOST_TEST(persister->stop());
}

BOOST_FIXTURE_TEST_CASE(the_handover_flush_writes_the_partitions_now, persister_db) {
    const auto alice = own("alice");
    const auto bob = own("bob");
    auto persister = make_persister({durability_mode::snapshot, 1h});
    persister->start();

    play("alice", 8);
    BOOST_TEST(persister->flush_partitions(std::vector{alice}));
    BOOST_TEST(position_in_pg("alice") == 8.0);  // written before it returned

    // A partition already taken over cannot be flushed: false, and its change is dropped.
    set_owner(bob.partition, "node-b", bob.epoch + 1);
    play("bob", 8);
    BOOST_TEST(!persister->flush_partitions(std::vector{bob}));
    BOOST_TEST(position_in_pg("bob") == no_row);
    BOOST_TEST(persister->stats().dropped_changes == 1u);
    BOOST_TEST(persister->stop());
    // After stop, nothing is there to flush.
    BOOST_TEST(!persister->flush_partitions(std::vector{alice}, 100ms));
}

BOOST_AUTO_TEST_SUITE_END()
