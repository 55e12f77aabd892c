#include "store/outbox.hpp"

#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

// The outbox in cluster mode: deliveries adopted with their partition, forgotten with it.

using namespace progressd::store;

namespace {

progress_event event_of(std::string id, std::string user) {
    progress_event event;
    event.id = std::move(id);
    event.type = event_type::lesson_completion;
    event.occurred_at = 1000;
    event.user_id = std::move(user);
    event.content_id = "l1";
    return event;
}

delivery delivery_of(std::string event_id, std::string user, std::int64_t due = 1000) {
    return delivery{"w1", event_of(std::move(event_id), std::move(user)), 0, due, {}};
}

webhook_list one_target() {
    webhook hook;
    hook.id = "w1";
    hook.target_url = "http://receiver.test/";
    return {hook};
}

std::set<std::string> collect(event_outbox& outbox) {
    std::set<std::string> keys;
    outbox.collect_changes([&](std::string key, std::optional<std::string>) { keys.insert(std::move(key)); });
    return keys;
}

struct fixture {
    std::atomic<std::uint64_t> generation{1};
    event_outbox outbox{generation, retry_policy{}};
    // Two users in different partitions.
    const std::string alice = "alice", bob = "bob";
    const std::uint32_t alice_partition = partition_of(alice), bob_partition = partition_of(bob);
    fixture() { BOOST_REQUIRE(alice_partition != bob_partition); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(outbox_ownership, fixture)

BOOST_AUTO_TEST_CASE(adopted_deliveries_are_clean_and_due) {
    BOOST_TEST(outbox.adopt({{"e1/w1", delivery_of("e1", alice)}, {"e2/w1", delivery_of("e2", bob, 2000)}}) == 2u);
    BOOST_TEST(collect(outbox).empty());  // in PostgreSQL already
    const auto due = outbox.take_due(1500, 0, 10);  // durable at any generation: loaded ones are
    BOOST_REQUIRE(due.size() == 1u);
    BOOST_TEST(due[0].key == "e1/w1");
}

BOOST_AUTO_TEST_CASE(a_key_held_already_keeps_its_newer_copy) {
    outbox.load("e1/w1", delivery_of("e1", alice));
    auto taken = outbox.take_due(1000, 0, 10);
    BOOST_REQUIRE(taken.size() == 1u);
    outbox.finish("e1/w1", delivery_outcome::failed, 1000, "refused");  // attempts 1, here only
    collect(outbox);
    BOOST_TEST(outbox.adopt({{"e1/w1", delivery_of("e1", alice)}, {"e2/w1", delivery_of("e2", alice)}}) == 1u);
    BOOST_TEST(outbox.size() == 2u);
    const auto later = outbox.take_due(1'000'000, 0, 10);
    BOOST_REQUIRE(later.size() == 2u);
    for (const auto& due : later) {
        if (due.key == "e1/w1") BOOST_TEST(due.value.attempts == 1u);
    }
}

BOOST_AUTO_TEST_CASE(dropped_partitions_are_forgotten_without_a_write) {
    outbox.adopt({{"e1/w1", delivery_of("e1", alice)}, {"e2/w1", delivery_of("e2", bob)}});
    outbox.publish(event_of("e3", alice), one_target(), 1000);  // pending, not yet written
    outbox.publish(event_of("e4", bob), one_target(), 1000);
    const std::vector<std::uint32_t> gone{alice_partition};
    BOOST_TEST(outbox.drop_partitions(gone) == 2u);
    BOOST_TEST(outbox.size() == 2u);
    // No tombstone for alice's rows (the next owner's now), and her pending one is not written.
    BOOST_TEST(collect(outbox) == std::set<std::string>{"e4/w1"});
    const auto due = outbox.take_due(1000, 10, 10);
    BOOST_TEST(due.size() == 2u);
    for (const auto& d : due) BOOST_TEST(d.value.event.user_id == bob);
    BOOST_TEST(outbox.stats().dropped == 0u);  // forgotten, not given up
}

BOOST_AUTO_TEST_CASE(a_delivery_in_flight_when_dropped_finishes_as_nothing) {
    outbox.adopt({{"e1/w1", delivery_of("e1", alice)}});
    const auto taken = outbox.take_due(1000, 0, 10);
    BOOST_REQUIRE(taken.size() == 1u);
    const std::vector<std::uint32_t> gone{alice_partition};
    BOOST_TEST(outbox.drop_partitions(gone) == 1u);
    BOOST_TEST(!outbox.finish("e1/w1", delivery_outcome::failed, 1000, "timeout"));
    BOOST_TEST(outbox.size() == 0u);
    BOOST_TEST(collect(outbox).empty());
    // Taken back later: adopted again from PostgreSQL.
    BOOST_TEST(outbox.adopt({{"e1/w1", delivery_of("e1", alice)}}) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
