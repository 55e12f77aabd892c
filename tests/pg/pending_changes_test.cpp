#include "store/postgres/pending_changes.hpp"

// The persister's pending changes without PostgreSQL: which changes a batch may carry, under
// which claims, and what is dropped or held back.

#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;

namespace {

struct pending_fixture {
    pending_changes pending;
    write_batch batch;
    std::vector<partition_claim> claims;
    change_report report;
    progress_record record;

    const std::uint32_t alice = partition_of("alice");
    const std::uint32_t dave = partition_of("dave");

    void add(std::string_view user, double position) {
        record.position_seconds = position;
        pending.add_record(user, {"", "lesson"}, &record, report);
    }
    void build() { pending.build(batch, claims, report); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(pending_changes_rules, pending_fixture)

BOOST_AUTO_TEST_CASE(a_claimed_change_goes_at_its_epoch_and_the_latest_wins) {
    pending.set_claims(std::vector<partition_claim>{{alice, 3}});
    add("alice", 1);
    add("alice", 2);
    BOOST_TEST(pending.size() == 1u);
    build();
    BOOST_REQUIRE(batch.records.size() == 1u);
    BOOST_TEST(batch.records[0].record->position_seconds == 2);
    BOOST_REQUIRE(claims.size() == 1u);
    BOOST_TEST(claims[0].partition == alice);
    BOOST_TEST(claims[0].epoch == 3);
    BOOST_TEST(report.empty());
    pending.committed();
    BOOST_TEST(pending.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_pending_change_of_an_ended_tenure_is_dropped) {
    pending.set_claims(std::vector<partition_claim>{{alice, 3}});
    add("alice", 1);  // its batch fails, say: still pending
    pending.set_claims(std::vector<partition_claim>{{alice, 5}});  // lost and taken back meanwhile
    build();
    BOOST_TEST(batch.empty());
    BOOST_TEST(claims.empty());
    BOOST_TEST(report.dropped_partitions == std::vector<std::uint32_t>{alice});
    BOOST_TEST(report.dropped_changes == 1u);
    BOOST_TEST(pending.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_partition_never_held_is_held_back_until_its_first_claim) {
    pending.set_claims({});
    add("dave", 1);
    BOOST_TEST(report.held_partitions == std::vector<std::uint32_t>{dave});
    build();
    BOOST_TEST(batch.empty());
    BOOST_TEST(pending.held_back() == 1u);
    pending.committed();
    BOOST_TEST(pending.size() == 1u);  // not in the batch, so still kept

    pending.set_claims(std::vector<partition_claim>{{dave, 2}});
    build();
    BOOST_TEST(batch.records.size() == 1u);
    BOOST_REQUIRE(claims.size() == 1u);
    BOOST_TEST(claims[0].epoch == 2);
    pending.committed();
    BOOST_TEST(pending.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_partition_held_before_drops_changes_made_without_it) {
    pending.set_claims(std::vector<partition_claim>{{alice, 3}});
    pending.set_claims({});
    add("alice", 1);
    BOOST_TEST(report.dropped_changes == 1u);
    BOOST_TEST(report.held_partitions.empty());
    BOOST_TEST(pending.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_claim_found_lost_no_longer_counts) {
    pending.set_claims(std::vector<partition_claim>{{alice, 3}});
    add("alice", 1);
    pending.lost({alice, 3}, report);
    BOOST_TEST(report.dropped_changes == 1u);
    // The keeper still lists it for a while: later changes are dropped at once.
    pending.set_claims(std::vector<partition_claim>{{alice, 3}});
    add("alice", 2);
    BOOST_TEST(report.dropped_changes == 2u);
    build();
    BOOST_TEST(batch.empty());
}

BOOST_AUTO_TEST_CASE(shared_tables_need_no_claim) {
    pending.set_claims({});
    pending.add_change(batch_table::catalog, "course-1", std::string("bytes"), report);
    pending.add_change(batch_table::webhooks, "hook-1", std::nullopt, report);
    build();
    BOOST_TEST(batch.changes.size() == 2u);
    BOOST_TEST(claims.empty());
    BOOST_TEST(report.empty());
    pending.committed();
    BOOST_TEST(pending.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
