#include "store/postgres/fencing.hpp"

#include "pg_fixture.hpp"
#include "sample_records.hpp"
#include "store/partition.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/schema.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::fresh_database;
using progressd::testing::full_record;
using progressd::testing::postgres_installed;
using progressd::testing::require_same;

namespace {

// A migrated database where node-a owns the partitions of "alice" and "bob" at epoch 3.
struct owned_partitions {
    std::string conninfo;
    connection conn = migrated(conninfo);
    std::uint32_t alice = partition_of("alice");
    std::uint32_t bob = partition_of("bob");

    owned_partitions() {
        BOOST_REQUIRE(alice != bob);
        set_owner(alice, "node-a", 3);
        set_owner(bob, "node-a", 3);
    }

    static connection migrated(std::string& conninfo) {
        auto conn = fresh_database(&conninfo);
        BOOST_REQUIRE(migrate(conn).ok());
        return conn;
    }

    void set_owner(std::uint32_t partition, const std::string& owner, std::int64_t epoch) {
        BOOST_REQUIRE(conn.exec("UPDATE partitions SET owner = '" + owner + "', epoch = " + std::to_string(epoch) +
                                ", lease_until = now() + interval '5 seconds' WHERE partition = " +
                                std::to_string(partition))
                          .ok());
    }

    // One batch writing `record` for each user, committed through the fence.
    pg_status write_fenced(connection& c, const std::vector<std::string>& users, const progress_record& record,
                           std::string_view owner, std::vector<partition_claim> claims) {
        const record_key key{"", "lesson"};
        std::vector<record_row> rows;
        for (const auto& user : users) rows.push_back({user, key, record});
        auto txn = transaction::begin(c);
        BOOST_REQUIRE(txn.ok());
        BOOST_REQUIRE(upsert_records(txn.value(), rows).ok());
        auto status = fenced_commit(txn.value(), owner, claims);
        BOOST_TEST(!txn->open());  // finished either way
        return status;
    }

    std::vector<loaded_record> load(std::string_view user) {
        auto loaded = load_user(conn, user);
        BOOST_REQUIRE(loaded.ok());
        return std::move(loaded).value();
    }
};

bool is_fenced(const pg_status& status) { return !status.ok() && status.error().code == pg_errc::fenced; }

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_fencing, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(the_owner_at_its_epoch_commits, owned_partitions) {
    const auto record = full_record(1);
    BOOST_TEST(write_fenced(conn, {"alice", "bob"}, record, "node-a", {{alice, 3}, {bob, 3}}).ok());
    BOOST_REQUIRE(load("alice").size() == 1u);
    require_same(load("bob").at(0).record, record);
}

BOOST_FIXTURE_TEST_CASE(a_stale_epoch_is_refused_and_changes_nothing, owned_partitions) {
    const auto first = full_record(1);
    BOOST_REQUIRE(write_fenced(conn, {"alice"}, first, "node-a", {{alice, 3}}).ok());
    set_owner(alice, "node-a", 4);  // lost and taken back: a newer epoch, even for the same node

    const auto stale = full_record(2);
    const auto refused = write_fenced(conn, {"alice"}, stale, "node-a", {{alice, 3}});
    BOOST_TEST(is_fenced(refused));
    BOOST_TEST(refused.error().message.find(std::to_string(alice) + "@3") != std::string::npos);
    require_same(load("alice").at(0).record, first);
}

BOOST_FIXTURE_TEST_CASE(another_owner_is_refused, owned_partitions) {
    set_owner(alice, "node-b", 4);
    BOOST_TEST(is_fenced(write_fenced(conn, {"alice"}, full_record(1), "node-a", {{alice, 3}})));
    // Even at the right epoch, another node's name is not the owner's.
    BOOST_TEST(is_fenced(write_fenced(conn, {"alice"}, full_record(1), "node-c", {{alice, 4}})));
    BOOST_TEST(load("alice").empty());
}

// One lost partition refuses the whole batch, the partitions still held included.
BOOST_FIXTURE_TEST_CASE(one_lost_partition_refuses_the_batch, owned_partitions) {
    set_owner(bob, "node-b", 4);
    const auto refused = write_fenced(conn, {"alice", "bob"}, full_record(1), "node-a", {{alice, 3}, {bob, 3}});
    BOOST_TEST(is_fenced(refused));
    BOOST_TEST(refused.error().message.find(std::to_string(bob) + "@3") != std::string::npos);
    BOOST_TEST(refused.error().message.find(std::to_string(alice) + "@3") == std::string::npos);
    BOOST_TEST(load("alice").empty());
    BOOST_TEST(load("bob").empty());
}

// A partition claimed at two epochs is at most one of them.
BOOST_FIXTURE_TEST_CASE(a_partition_claimed_twice_is_refused, owned_partitions) {
    BOOST_TEST(is_fenced(write_fenced(conn, {"alice"}, full_record(1), "node-a", {{alice, 3}, {alice, 2}})));
    BOOST_TEST(write_fenced(conn, {"alice"}, full_record(1), "node-a", {{alice, 3}, {alice, 3}}).ok());
}

// A takeover in progress when the batch commits: the fence waits for it, then refuses the batch.
// (The other order, fence first, makes the takeover wait for the batch: PostgreSQL's row locks.)
BOOST_FIXTURE_TEST_CASE(a_concurrent_takeover_wins, owned_partitions) {
    auto opened = connection::open(conninfo);
    BOOST_REQUIRE(opened.ok());
    connection taker = std::move(opened).value();
    auto takeover = transaction::begin(taker);
    BOOST_REQUIRE(takeover.ok());
    BOOST_REQUIRE(taker.exec("UPDATE partitions SET owner = 'node-b', epoch = epoch + 1 WHERE partition = " +
                             std::to_string(alice))
                      .ok());

    auto writer_opened = connection::open(conninfo);
    BOOST_REQUIRE(writer_opened.ok());
    connection writer = std::move(writer_opened).value();
    const auto record = full_record(1);
    auto batch = std::async(std::launch::async,
                            [&] { return write_fenced(writer, {"alice"}, record, "node-a", {{alice, 3}}); });
    // The takeover holds the row: the fence cannot decide before it ends.
    BOOST_TEST((batch.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout));
    BOOST_REQUIRE(takeover->commit().ok());
    BOOST_TEST(is_fenced(batch.get()));
    BOOST_TEST(load("alice").empty());
}

BOOST_FIXTURE_TEST_CASE(no_claims_simply_commits, owned_partitions) {
    BOOST_TEST(write_fenced(conn, {"alice"}, full_record(1), "node-z", {}).ok());
    BOOST_TEST(load("alice").size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
