#include "store/progress_store.hpp"

#include "store/assessments.hpp"
#include "store/enrolments.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// The stores' side of cluster mode's cache (app/resident_users.hpp): a user leaves memory only
// once every change of it is committed (collected AND its generation durable), or by force.

using namespace progressd::store;

namespace {

ping at(std::string content, double position) {
    ping p;
    p.context_id = "course";
    p.content_id = std::move(content);
    p.position_seconds = position;
    p.duration_seconds = 600;
    return p;
}

// What the persister does for one batch: bump the generation, collect every shard. Returns the
// batch's generation, durable once "committed" (the tests pass it as durable_generation).
std::uint64_t collect_batch(progress_store& store, std::vector<std::string>* users = nullptr) {
    const std::uint64_t generation = store.begin_flush();
    for (std::size_t shard = 0; shard < store.shard_count(); ++shard) {
        store.collect_dirty(shard, [&](std::string_view user_id, const record_key&, const progress_record*) {
            if (users) users->emplace_back(user_id);
        });
    }
    return generation;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(user_residency)

BOOST_AUTO_TEST_CASE(a_record_written_leaves_only_once_collected_and_durable) {
    progress_store store(4, {});
    const auto written = store.apply_ping("u1", at("l1", 10), 1000).generation;
    BOOST_TEST(store.user_bytes("u1") > 0u);
    BOOST_TEST(!store.evictable("u1", written + 100));  // dirty: whatever the persister says
    BOOST_TEST(!store.evict("u1", written + 100));

    const auto batch = collect_batch(store);
    BOOST_TEST(batch >= written);
    // Collected (no longer dirty) but not committed: a reload would read the older row.
    BOOST_TEST(!store.evictable("u1", written - 1));
    BOOST_TEST(!store.evict("u1", written - 1));
    BOOST_TEST(store.find("u1", "course", "l1").has_value());

    BOOST_TEST(store.evict("u1", batch));
    BOOST_TEST(!store.find("u1", "course", "l1").has_value());
    BOOST_TEST(store.user_bytes("u1") == 0u);
    BOOST_TEST(store.stats().records == 0u);
    BOOST_TEST(store.stats().users == 0u);
    BOOST_TEST(store.evict("u1", batch));  // gone already: nothing to do
}

BOOST_AUTO_TEST_CASE(a_loaded_user_is_clean_and_leaves_at_once) {
    progress_store store(4, {});
    progress_record record;
    record.position_seconds = 42;
    store.load("u1", {"course", "l1"}, record);
    BOOST_TEST(store.stats().dirty == 0u);
    BOOST_TEST(store.evictable("u1", 0));
    BOOST_TEST(store.evict("u1", 0));
    BOOST_TEST(store.stats().records == 0u);
}

BOOST_AUTO_TEST_CASE(a_write_after_the_collection_blocks_the_eviction_again) {
    progress_store store(4, {});
    store.apply_ping("u1", at("l1", 10), 1000);
    const auto first = collect_batch(store);
    const auto second = store.apply_ping("u1", at("l1", 20), 2000).generation;
    BOOST_TEST(second > first);
    BOOST_TEST(!store.evict("u1", first));  // dirty again
    collect_batch(store);
    BOOST_TEST(!store.evict("u1", second - 1));
    BOOST_TEST(store.evict("u1", second));
}

BOOST_AUTO_TEST_CASE(a_removal_not_yet_committed_blocks_the_users_eviction_after_its_entry_went) {
    // One shard: the user whose every record was erased leaves no entry once collected; its
    // erasure's generation stays in the shard and stands for every user without an entry.
    progress_store store(1, {});
    store.apply_ping("u1", at("l1", 10), 1000);
    collect_batch(store);
    const auto erased = store.erase_user("u1").generation;
    BOOST_TEST(!store.evict("u1", erased + 5));  // the tombstone is not collected yet
    const auto batch = collect_batch(store);
    BOOST_TEST(!store.evictable("u1", batch - 1));
    BOOST_TEST(!store.evictable("someone-else", batch - 1));
    BOOST_TEST(store.evictable("u1", batch));
    // A user created in that shard afterwards starts at that generation too.
    progress_record record;
    store.load("u2", {"c", "x"}, record);
    BOOST_TEST(!store.evictable("u2", batch - 1));
    BOOST_TEST(store.evict("u2", batch));
}

BOOST_AUTO_TEST_CASE(a_drop_forgets_dirty_records_and_tombstones_and_the_persister_skips_them) {
    progress_store store(2, {});
    store.apply_ping("u1", at("l1", 10), 1000);
    store.apply_ping("u1", at("l2", 10), 1000);
    store.erase("u1", "course", "l2");
    store.apply_ping("u2", at("l1", 10), 1000);
    BOOST_TEST(store.stats().dirty == 3u);  // two records (one a tombstone now) and u2's
    store.drop_user("u1");
    const auto stats = store.stats();
    BOOST_TEST(stats.dirty == 1u);
    BOOST_TEST(stats.records == 1u);
    BOOST_TEST(stats.users == 1u);
    std::vector<std::string> collected;
    collect_batch(store, &collected);
    BOOST_TEST(collected == std::vector<std::string>{"u2"});

    // Reloaded after the drop (clean), the old dirty listing writes nothing of it.
    progress_record record;
    store.load("u1", {"course", "l1"}, record);
    store.drop_user("u2");
    collected.clear();
    collect_batch(store, &collected);
    BOOST_TEST(collected.empty());
    BOOST_TEST(store.find("u1", "course", "l1").has_value());
}

BOOST_AUTO_TEST_CASE(enrolments_leave_when_committed_and_come_back_with_load) {
    std::atomic<std::uint64_t> generation{5};
    enrolment_store enrolments(4, generation);
    enrolments.ensure("u1", "course", "batch", 100);
    BOOST_TEST(enrolments.user_bytes("u1") > 0u);
    BOOST_TEST(!enrolments.evict("u1", 100).has_value());  // listed, not collected
    generation = 6;  // begin_flush
    enrolments.collect_changes([](std::string, std::optional<std::string>) {});
    BOOST_TEST(!enrolments.evictable("u1", 4));  // collected, not committed
    const auto taken = enrolments.evict("u1", 5);
    BOOST_REQUIRE(taken.has_value());
    BOOST_TEST(taken->size() == 1u);
    BOOST_TEST(!enrolments.find("u1", "course", "batch").has_value());
    BOOST_TEST(enrolments.size() == 0u);
    BOOST_TEST(enrolments.user_bytes("u1") == 0u);
    for (const auto& [key, value] : *taken) enrolments.load("u1", key, value);
    BOOST_TEST(enrolments.find("u1", "course", "batch")->implicit);
    BOOST_TEST(enrolments.evictable("u1", 5));  // back clean
}

BOOST_AUTO_TEST_CASE(an_enrolment_removal_blocks_the_eviction_until_committed) {
    std::atomic<std::uint64_t> generation{5};
    enrolment_store enrolments(1, generation);
    enrolments.ensure("u1", "course", "", 100);
    generation = 7;
    enrolments.erase("u1", "course", "");  // the user's last: its slot goes
    generation = 8;
    enrolments.collect_changes([](std::string, std::optional<std::string>) {});
    BOOST_TEST(!enrolments.evictable("u1", 6));
    BOOST_TEST(enrolments.evictable("u1", 7));
    BOOST_TEST(enrolments.evict("u1", 7).has_value());
}

BOOST_AUTO_TEST_CASE(an_enrolment_drop_forgets_the_listed_changes) {
    std::atomic<std::uint64_t> generation{5};
    enrolment_store enrolments(1, generation);
    enrolments.ensure("u1", "course", "", 100);
    enrolments.ensure("u1", "course-2", "", 100);
    enrolments.erase("u1", "course-2", "");
    enrolments.ensure("u2", "course", "", 100);
    enrolments.drop_user("u1");
    BOOST_TEST(enrolments.size() == 1u);
    std::size_t changes = 0;
    enrolments.collect_changes([&](std::string, std::optional<std::string>) { ++changes; });
    BOOST_TEST(changes == 1u);  // u2's only: no tombstone of u1's, which would delete its rows
}

BOOST_AUTO_TEST_CASE(assessment_states_follow_the_same_rules) {
    std::atomic<std::uint64_t> generation{5};
    assessment_store assessments(4, generation);
    assessments.submit("u1", {"course", "quiz"}, {"a1", 3, 5, 100, false});
    BOOST_TEST(assessments.user_bytes("u1") > 0u);
    BOOST_TEST(!assessments.evictable("u1", 100));
    generation = 6;
    assessments.collect_changes([](std::string, std::optional<std::string>) {});
    BOOST_TEST(!assessments.evict("u1", 4).has_value());
    const auto taken = assessments.evict("u1", 5);
    BOOST_REQUIRE(taken.has_value());
    BOOST_TEST(taken->at({"course", "quiz"}).attempt_count == 1u);
    BOOST_TEST(assessments.list_user("u1").empty());

    assessments.submit("u2", {"course", "quiz"}, {"a1", 3, 5, 100, false});
    assessments.drop_user("u2");
    std::size_t changes = 0;
    assessments.collect_changes([&](std::string, std::optional<std::string>) { ++changes; });
    BOOST_TEST(changes == 0u);
    BOOST_TEST(assessments.list_user("u2").empty());
}

BOOST_AUTO_TEST_SUITE_END()
