#include "store/postgres/outbox_partitions.hpp"

// Webhook deliveries follow their partition's owner: a node that dies leaves its undelivered
// deliveries in PostgreSQL and the node that takes the partition over loads them; in a planned
// handover the old owner forgets them before the new one loads them, so no delivery is ever held
// by two owners at once.

#include "membership_fixture.hpp"
#include "persister_fixture.hpp"
#include "row_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::eventually;
using progressd::testing::membership_db;
using progressd::testing::postgres_installed;
using progressd::testing::share_of;
using progressd::testing::test_node;

namespace {

webhook_list one_target() {
    webhook hook;
    hook.id = "w1";
    hook.target_url = "http://receiver.test/";
    return {hook};
}

progress_event event_for(std::string id, std::string user) {
    progress_event event;
    event.id = std::move(id);
    event.type = event_type::lesson_completion;
    event.occurred_at = 1000;
    event.user_id = std::move(user);
    event.content_id = "lesson-1";
    return event;
}

// One node's webhook side: its stores' outbox written behind, the lease keeper's claims as the
// persister's, and the takeover of deliveries.
struct delivering_node {
    progressd::logger quiet{progressd::log_level::error};
    test_node member;
    progress_store records{2, {}};
    event_outbox outbox{records.generation_counter(), retry_policy{}};
    pg_persister persister;
    outbox_partitions takeover;

    delivering_node(const std::string& id, const std::string& conninfo)
        : member(id, conninfo),
          persister(records, conninfo, id, [this] { return member.keeper.claims(); },
                    pg_persister_options{durability_mode::snapshot, 50ms}, quiet),
          takeover(outbox, conninfo, quiet) {
        persister.attach(outbox, batch_table::outbox);
        persister.start();
    }

    // One membership period, and what the server does after it.
    void period() {
        const auto report = member.period();
        std::vector<partition_claim> gone(report.released);
        gone.insert(gone.end(), report.lost.begin(), report.lost.end());
        BOOST_TEST(takeover.changed(report.acquired, gone));
    }

    // The keys of every delivery held, without taking any for good.
    std::set<std::string> held() {
        std::set<std::string> keys;
        for (auto& due : outbox.take_due(std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max(), 1000)) {
            keys.insert(due.key);
            outbox.finish(due.key, delivery_outcome::failed, 0, "looked at");  // back to waiting
        }
        return keys;
    }
};

std::string delivery_count(connection& conn, const std::string& where = "true") {
    return progressd::testing::scalar(conn, "SELECT count(*) FROM outbox WHERE " + where);
}

// A user whose partition is in `partitions`.
std::string user_in(const std::vector<std::uint32_t>& partitions, const std::string& prefix) {
    for (int i = 0;; ++i) {
        const std::string user = prefix + std::to_string(i);
        if (std::binary_search(partitions.begin(), partitions.end(), partition_of(user))) return user;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_outbox_partitions, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(only_the_named_partitions_are_loaded, membership_db) {
    progressd::logger quiet{progressd::log_level::error};
    progress_store records{2, {}};
    event_outbox source{records.generation_counter(), retry_policy{}};
    source.publish(event_for("e1", "alice"), one_target(), 1000);
    source.publish(event_for("e2", "bob"), one_target(), 2000);
    write_batch batch;
    source.collect_changes(batch.collector(batch_table::outbox));
    BOOST_REQUIRE(progressd::testing::committed(conn, [&](transaction& txn) { return apply_batch(txn, batch); }).upserted == 2u);

    const std::vector<std::uint32_t> alice{partition_of("alice")};
    const auto loaded = progressd::testing::required(load_outbox_partitions(conn, alice));
    BOOST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST(loaded[0].key == "e1/w1");
    BOOST_TEST(loaded[0].value.event.user_id == "alice");
    BOOST_TEST(progressd::testing::required(load_outbox_partitions(conn, std::vector<std::uint32_t>{})).empty());
    // The migration's index serves the load.
    BOOST_TEST(progressd::testing::scalar(conn, "SELECT count(*) FROM pg_indexes WHERE indexname = 'outbox_by_partition'") == "1");
}

BOOST_FIXTURE_TEST_CASE(the_partitions_of_a_node_that_died_are_delivered_by_their_new_owner, membership_db) {
    auto a = std::make_unique<delivering_node>("node-a", conninfo);
    a->period();  // alone: all 1024 partitions
    BOOST_REQUIRE(a->member.keeper.claims().size() == partition_count);
    a->outbox.publish(event_for("e1", "alice"), one_target(), 1000);
    a->outbox.publish(event_for("e2", "bob"), one_target(), 1000);
    BOOST_REQUIRE(eventually([&] { return delivery_count(conn) == "2"; }, 3s));
    // A failed attempt at each, written behind with its count: the next owner continues from it.
    const auto held_by_a = a->held();
    BOOST_REQUIRE(held_by_a.size() == 2u);
    BOOST_REQUIRE(eventually([&] { return delivery_count(conn, "attempts = 1") == "2"; }, 3s));

    // a dies: no leave, no flush; its lease runs out.
    BOOST_REQUIRE(a->persister.stop());
    a.reset();
    delivering_node b("node-b", conninfo);
    BOOST_REQUIRE(eventually([&] {
        b.period();
        return b.member.keeper.claims().size() == partition_count;
    }, 5s));
    const auto held_by_b = b.held();
    BOOST_TEST(held_by_b == held_by_a, boost::test_tools::per_element());
    BOOST_TEST(b.takeover.stats().loaded == 2u);
    BOOST_TEST(b.takeover.stats().unloaded == 0u);
    // Loaded clean: b wrote nothing for them until its own attempts (held() failed each once more).
    BOOST_REQUIRE(eventually([&] { return delivery_count(conn, "attempts = 2") == "2"; }, 3s));
    BOOST_TEST(b.persister.stop());
}

BOOST_FIXTURE_TEST_CASE(a_planned_handover_never_holds_a_delivery_on_two_nodes, membership_db) {
    delivering_node a("node-a", conninfo);
    a.period();
    const auto b_share = share_of("node-b", {"node-a", "node-b"});
    const auto a_share = share_of("node-a", {"node-a", "node-b"});
    const std::string moving = user_in(b_share, "moving-"), staying = user_in(a_share, "staying-");
    a.outbox.publish(event_for("e-moving", moving), one_target(), 1000);
    a.outbox.publish(event_for("e-staying", staying), one_target(), 1000);
    BOOST_REQUIRE(eventually([&] { return delivery_count(conn) == "2"; }, 3s));

    a.period();  // renewed: a is live and its leases run while b joins
    delivering_node b("node-b", conninfo);
    // After every period of either node: each delivery on one node at most.
    const auto check = [&] {
        const auto on_a = a.held(), on_b = b.held();
        for (const auto& key : on_a) BOOST_TEST_REQUIRE(!on_b.contains(key), key << " on both nodes");
        BOOST_TEST_REQUIRE(on_a.size() + on_b.size() <= 2u);  // none between a's release and b's acquisition
        return on_b;
    };
    std::set<std::string> on_b;
    for (int round = 0; round < 20 && b.member.keeper.claims().size() != b_share.size(); ++round) {
        a.period();  // hands over b's share once b is live: flush, release, forget
        on_b = check();
        b.period();  // takes it once released
        on_b = check();
    }
    BOOST_REQUIRE(b.member.keeper.claims().size() == b_share.size());
    BOOST_TEST(on_b == std::set<std::string>{"e-moving/w1"});
    BOOST_TEST(a.held() == std::set<std::string>{"e-staying/w1"});
    BOOST_TEST(a.takeover.stats().dropped == 1u);
    BOOST_TEST(a.persister.stop());
    BOOST_TEST(b.persister.stop());
}

BOOST_FIXTURE_TEST_CASE(a_load_that_failed_is_done_by_the_next_call, membership_db) {
    progressd::logger quiet{progressd::log_level::error};
    progress_store records{2, {}};
    event_outbox source{records.generation_counter(), retry_policy{}};
    source.publish(event_for("e1", "alice"), one_target(), 1000);
    write_batch batch;
    source.collect_changes(batch.collector(batch_table::outbox));
    progressd::testing::committed(conn, [&](transaction& txn) { return apply_batch(txn, batch); });

    event_outbox outbox{records.generation_counter(), retry_policy{}};
    outbox_partitions takeover(outbox, conninfo, quiet);
    BOOST_TEST(takeover.catch_up());  // nothing to do
    BOOST_REQUIRE(conn.exec("ALTER TABLE outbox RENAME TO outbox_away").ok());  // every load fails
    const std::vector<partition_claim> acquired{{partition_of("alice"), 1}};
    BOOST_TEST(!takeover.changed(acquired, {}));
    BOOST_TEST(takeover.stats().unloaded == 1u);
    BOOST_TEST(takeover.stats().failures == 1u);
    BOOST_TEST(outbox.size() == 0u);
    BOOST_TEST(!takeover.catch_up());
    BOOST_REQUIRE(conn.exec("ALTER TABLE outbox_away RENAME TO outbox").ok());
    BOOST_TEST(takeover.catch_up());
    BOOST_TEST(outbox.size() == 1u);
    BOOST_TEST(takeover.stats().unloaded == 0u);
    BOOST_TEST(takeover.stats().loaded == 1u);
    // Lost before it was loaded: nothing is loaded for it later.
    BOOST_REQUIRE(conn.exec("ALTER TABLE outbox RENAME TO outbox_away").ok());
    const std::vector<partition_claim> bob{{partition_of("bob"), 1}};
    BOOST_TEST(!takeover.changed(bob, {}));
    BOOST_TEST(takeover.changed({}, bob));
    BOOST_TEST(takeover.stats().unloaded == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
