#include "store/progress_store.hpp"
#include "test_names.hpp"
#include "test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <thread>

using namespace progressd::store;

namespace {

using progressd::testing::named;
using progressd::testing::watch;

std::size_t collect_all(progress_store& store, std::vector<std::string>& seen) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < store.shard_count(); ++i) {
        total += store.collect_dirty(i, [&](std::string_view user, const record_key& key, const progress_record* record) {
            seen.push_back(std::string(user) + "/" + key.context_id + "/" + key.content_id + (record ? "" : " (deleted)"));
        });
    }
    return total;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(progress_store_suite)

BOOST_AUTO_TEST_CASE(rejects_a_shard_count_that_is_not_a_power_of_two) {
    BOOST_CHECK_THROW(progress_store(6, {}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(apply_then_find_returns_the_merged_record) {
    progress_store store(8, {});
    const auto result = store.apply_ping("u1", watch("c1", 40), 1000);
    BOOST_TEST(result.summary.progress_percent == 40.0);
    auto record = store.find("u1", "", "c1");
    BOOST_REQUIRE(record);
    BOOST_TEST(record->position_seconds == 40.0);
    BOOST_TEST(record->first_accessed_at == 1000);
    BOOST_TEST(!store.find("u1", "ctx", "c1"));  // another context is another record
    BOOST_TEST(!store.find("u2", "", "c1"));
}

BOOST_AUTO_TEST_CASE(record_ids_are_uuid_v4_and_stable) {
    progress_store store(8, {});
    store.apply_ping("u1", watch("c1", 1), 1);
    const auto first = store.find("u1", "", "c1")->record_id;
    store.apply_ping("u1", watch("c1", 2), 2);
    BOOST_TEST(format_uuid(store.find("u1", "", "c1")->record_id) == format_uuid(first));
    const auto text = format_uuid(first);
    BOOST_TEST(text.size() == 36u);
    BOOST_TEST(text[14] == '4');
}

BOOST_AUTO_TEST_CASE(list_user_pages_in_key_order) {
    progress_store store(8, {});
    for (auto content : {"c3", "c1", "c2"}) store.apply_ping("u1", watch(content, 1), 1);
    store.apply_ping("u1", watch("c0", 1, "ctx"), 1);
    store.apply_ping("u2", watch("other", 1), 1);
    auto first = store.list_user("u1", 0, 2);
    BOOST_TEST(first.total == 4u);
    BOOST_REQUIRE(first.records.size() == 2u);
    BOOST_TEST(first.records[0].first.content_id == "c1");  // "" context sorts before "ctx"
    BOOST_TEST(first.records[1].first.content_id == "c2");
    auto second = store.list_user("u1", 2, 2);
    BOOST_REQUIRE(second.records.size() == 2u);
    BOOST_TEST(second.records[1].first.context_id == "ctx");
    BOOST_TEST(store.list_user("u1", 4, 2).records.empty());
    BOOST_TEST(store.list_user("nobody", 0, 10).total == 0u);
}

BOOST_AUTO_TEST_CASE(dirty_keys_are_collected_once_then_cleared) {
    progress_store store(4, {});
    store.apply_ping("u1", watch("c1", 1), 1);
    store.apply_ping("u1", watch("c1", 2), 2);  // same record: queued once
    store.apply_ping("u2", watch("c1", 2), 2);
    BOOST_TEST(store.stats().dirty == 2u);
    std::vector<std::string> seen;
    BOOST_TEST(collect_all(store, seen) == 2u);
    BOOST_TEST(store.stats().dirty == 0u);
    seen.clear();
    BOOST_TEST(collect_all(store, seen) == 0u);
    store.apply_ping("u1", watch("c1", 3), 3);
    BOOST_TEST(collect_all(store, seen) == 1u);
}

BOOST_AUTO_TEST_CASE(duplicates_do_not_mark_dirty) {
    progress_store store(4, {});
    ping p = watch("c1", 1);
    p.session_id = "s";
    p.seq = 1;
    store.apply_ping("u1", p, 1);
    std::vector<std::string> seen;
    collect_all(store, seen);
    BOOST_TEST(store.apply_ping("u1", p, 2).outcome.duplicate);
    BOOST_TEST(store.stats().dirty == 0u);
}

BOOST_AUTO_TEST_CASE(erase_leaves_a_tombstone) {
    progress_store store(4, {});
    store.apply_ping("u1", watch("c1", 1), 1);
    std::vector<std::string> seen;
    collect_all(store, seen);
    BOOST_TEST(store.erase("u1", "", "c1").has_value());
    BOOST_TEST(!store.erase("u1", "", "c1").has_value());
    BOOST_TEST(!store.find("u1", "", "c1"));
    seen.clear();
    collect_all(store, seen);
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0] == "u1//c1 (deleted)");
    BOOST_TEST(store.stats().records == 0u);
    BOOST_TEST(store.stats().users == 0u);
}

BOOST_AUTO_TEST_CASE(write_generation_is_covered_by_the_next_flush) {
    progress_store store(4, {});
    const auto before = store.current_generation();
    const auto write = store.apply_ping("u1", watch("c1", 1), 1).generation;
    BOOST_TEST(write == before);
    const auto flushed = store.begin_flush();
    BOOST_TEST(flushed >= write);
    BOOST_TEST(store.apply_ping("u1", watch("c1", 2), 2).generation > flushed);
}

BOOST_AUTO_TEST_CASE(loaded_records_are_clean) {
    progress_store store(4, {});
    progress_record record;
    record.progress_percent = 42;
    store.load("u1", {"", "c1"}, record);
    BOOST_TEST(store.stats().records == 1u);
    BOOST_TEST(store.stats().dirty == 0u);
    BOOST_TEST(store.find("u1", "", "c1")->progress_percent == 42.0);
}

BOOST_AUTO_TEST_CASE(concurrent_writers_on_many_users_lose_nothing) {
    progress_store store(16, {});
    constexpr int threads = 4;
    constexpr int per_thread = 2000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&store, t] {
            for (int i = 0; i < per_thread; ++i) {
                store.apply_ping("user-" + std::to_string(i % 50), watch("c" + std::to_string(t), 1), i);
            }
        });
    }
    for (auto& worker : workers) worker.join();
    BOOST_TEST(store.stats().records == std::size_t(50 * threads));
    const auto record = store.find("user-7", "", "c2");
    BOOST_REQUIRE(record);
    BOOST_TEST(record->time_spent_seconds == double(per_thread / 50));
}

BOOST_AUTO_TEST_CASE(find_many_reads_one_context_aligned_with_the_ids) {
    progress_store store(8, {});
    store.apply_ping("u1", watch("a", 10, "ctx"), 1);
    store.apply_ping("u1", watch("b", 20, "ctx"), 1);
    store.apply_ping("u1", watch("c", 30), 1);
    const auto found = store.find_many("u1", "ctx", {"b", "c", "a"});
    BOOST_REQUIRE(found.size() == 3u);
    BOOST_TEST(found[0]->position_seconds == 20.0);
    BOOST_TEST(!found[1]);  // c is in the organic context
    BOOST_TEST(found[2]->position_seconds == 10.0);
    BOOST_TEST(!store.find_many("nobody", "", {"a"})[0]);
}

BOOST_AUTO_TEST_CASE(continue_watching_lists_in_progress_records_newest_first) {
    progress_store store(8, {});
    store.apply_ping("u1", watch("old", 10), 100);
    store.apply_ping("u1", watch("new", 10, "ctx"), 300);
    store.apply_ping("u1", watch("mid", 10), 200);
    store.apply_ping("u1", watch("done", 100), 400);  // completed: not in the list
    auto listing = store.continue_watching("u1", 10);
    BOOST_REQUIRE(listing.size() == 3u);
    BOOST_TEST(listing[0].first.content_id == "new");
    BOOST_TEST(listing[1].first.content_id == "mid");
    BOOST_TEST(listing[2].first.content_id == "old");
    BOOST_TEST(store.continue_watching("u1", 1).size() == 1u);
    BOOST_TEST(store.continue_watching("nobody", 5).empty());
}

BOOST_AUTO_TEST_CASE(a_hidden_record_leaves_the_list_until_its_next_ping) {
    progress_store store(8, {});
    store.apply_ping("u1", watch("a", 10), 100);
    store.apply_ping("u1", watch("a", 10, "ctx"), 110);
    store.apply_ping("u1", watch("b", 10), 200);
    std::vector<std::string> seen;
    collect_all(store, seen);
    BOOST_TEST(store.hide("u1", "a").has_value());
    BOOST_TEST(!store.hide("u1", "a").has_value());  // already hidden
    BOOST_TEST(!store.hide("u1", "zzz").has_value());
    seen.clear();
    BOOST_TEST(collect_all(store, seen) == 2u);  // both contexts' records are dirty
    auto listing = store.continue_watching("u1", 10);
    BOOST_REQUIRE(listing.size() == 1u);
    BOOST_TEST(listing[0].first.content_id == "b");
    BOOST_TEST(store.find("u1", "", "a")->hidden);
    BOOST_TEST(store.find("u1", "", "a")->progress_percent == 10.0);  // progress kept
    store.apply_ping("u1", watch("a", 12), 300);
    listing = store.continue_watching("u1", 10);
    BOOST_REQUIRE(listing.size() == 2u);
    BOOST_TEST(listing[0].first.content_id == "a");
}

BOOST_AUTO_TEST_CASE(erase_user_removes_every_record_with_tombstones) {
    progress_store store(8, {});
    store.apply_ping("u1", watch("a", 10), 1);
    store.apply_ping("u1", watch("b", 10, "ctx"), 1);
    store.apply_ping("u2", watch("a", 10), 1);
    std::vector<std::string> seen;
    collect_all(store, seen);
    store.apply_ping("u1", watch("a", 20), 2);  // dirty again before the erase
    const auto erased = store.erase_user("u1");
    BOOST_TEST(erased.count == 2u);
    BOOST_TEST(erased.generation != 0u);
    BOOST_TEST(store.erase_user("u1").count == 0u);
    BOOST_TEST(store.list_user("u1", 0, 10).total == 0u);
    BOOST_TEST(store.stats().records == 1u);
    seen.clear();
    BOOST_TEST(collect_all(store, seen) == 2u);
    std::sort(seen.begin(), seen.end());
    BOOST_TEST(seen[0] == "u1//a (deleted)");
    BOOST_TEST(seen[1] == "u1/ctx/b (deleted)");
}

BOOST_AUTO_TEST_CASE(a_record_erased_then_recreated_before_the_flush_is_written_as_it_is_now) {
    progress_store store(4, {});
    store.apply_ping("u1", watch("c1", 1), 1);
    std::vector<std::string> seen;
    collect_all(store, seen);
    store.erase("u1", "", "c1");
    store.apply_ping("u1", watch("c1", 7), 2);
    seen.clear();
    collect_all(store, seen);
    BOOST_TEST(std::count(seen.begin(), seen.end(), "u1//c1 (deleted)") == 0);
    BOOST_TEST(std::count(seen.begin(), seen.end(), "u1//c1") >= 1);
    BOOST_TEST(store.stats().dirty == 0u);
    BOOST_TEST(store.find("u1", "", "c1")->position_seconds == 7.0);
}

BOOST_AUTO_TEST_CASE(a_user_erased_then_pinged_again_keeps_the_new_record) {
    progress_store store(4, {});
    store.apply_ping("u1", watch("a", 1), 1);
    store.apply_ping("u1", watch("b", 1), 1);
    store.erase_user("u1");
    BOOST_TEST(store.stats().users == 0u);
    store.apply_ping("u1", watch("b", 3), 2);
    BOOST_TEST(store.stats().users == 1u);
    BOOST_TEST(store.stats().records == 1u);
    BOOST_TEST(store.list_user("u1", 0, 10).total == 1u);
    std::vector<std::string> seen;
    collect_all(store, seen);
    BOOST_TEST(std::count(seen.begin(), seen.end(), "u1//a (deleted)") == 1);
    BOOST_TEST(std::count(seen.begin(), seen.end(), "u1//b (deleted)") == 0);
    BOOST_TEST(std::count(seen.begin(), seen.end(), "u1//b") >= 1);
    BOOST_TEST(store.find("u1", "", "b")->position_seconds == 3.0);
}

BOOST_AUTO_TEST_CASE(a_user_with_more_dirty_records_than_one_lock_hold_is_collected_whole) {
    progress_store store(1, {});
    for (int i = 0; i < 1000; ++i) store.apply_ping("u1", watch(named("c", i), 1), 1);
    BOOST_TEST(store.stats().dirty == 1000u);
    std::vector<std::string> seen;
    BOOST_TEST(collect_all(store, seen) == 1000u);
    BOOST_TEST(std::set<std::string>(seen.begin(), seen.end()).size() == 1000u);
    BOOST_TEST(store.stats().dirty == 0u);
}

BOOST_AUTO_TEST_CASE(writes_during_a_collection_are_never_lost) {
    // A writer keeps creating, changing and erasing records of the same users while the shard is
    // collected; afterwards one more collection must leave nothing dirty and lose no record.
    progress_store store(1, {});
    for (int i = 0; i < 2000; ++i) store.apply_ping(named("u", i % 3), watch(named("c", i), 1), 1);
    std::thread writer([&store] {
        for (int i = 0; i < 2000; ++i) {
            const std::string user = named("u", i % 3);
            store.apply_ping(user, watch(named("n", i), 2), 2);
            if (i % 5 == 0) store.erase(user, "", named("c", i));
        }
    });
    std::vector<std::string> seen;
    collect_all(store, seen);
    writer.join();
    collect_all(store, seen);
    BOOST_TEST(store.stats().dirty == 0u);
    BOOST_TEST(store.stats().records == 4000u - 400u);
    for (int i = 0; i < 2000; i += 7) {
        const std::string user = named("u", i % 3);
        BOOST_TEST(store.find(user, "", named("n", i)).has_value());
        BOOST_TEST(store.find(user, "", named("c", i)).has_value() == (i % 5 != 0));
    }
}

BOOST_AUTO_TEST_CASE(pings_keep_the_rare_fields_and_the_mimetype) {
    progress_store store(4, {});
    ping first = watch("c1", 10);
    first.mimetype = "application/vnd.apple.mpegurl";
    first.details = R"({"k":1})";
    first.session_id = "s1";
    first.seq = 1;
    store.apply_ping("u1", first, 1);
    ping second = watch("c1", 11);
    second.session_id = "s1";
    second.seq = 2;
    store.apply_ping("u1", second, 2);
    const auto record = store.find("u1", "", "c1");
    BOOST_REQUIRE(record);
    BOOST_TEST(record->mimetype == "application/vnd.apple.mpegurl");
    BOOST_TEST(record->details == R"({"k":1})");
    BOOST_TEST(record->replay.newest.highest_seq == 2);
    BOOST_TEST(store.apply_ping("u1", second, 3).outcome.duplicate);
}

BOOST_AUTO_TEST_CASE(overwrite_creates_and_returns_the_record_with_its_annotations) {
    progress_store store(4, {});
    record_overwrite write;
    write.progress_percent = 30;
    write.notes = "remember";
    const auto result = store.overwrite("u1", {"ctx", "c1"}, write, 5);
    BOOST_TEST(result.record.progress_percent == 30.0);
    BOOST_REQUIRE(result.record.annotations);
    BOOST_TEST(result.record.annotations->notes == "remember");
    const auto found = store.find("u1", "ctx", "c1");
    BOOST_REQUIRE(found);
    BOOST_REQUIRE(found->annotations);
    BOOST_TEST(found->annotations->notes == "remember");
    BOOST_TEST(format_uuid(found->record_id) == format_uuid(result.record.record_id));
}

BOOST_AUTO_TEST_CASE(a_loaded_record_keeps_its_id_and_takes_pings) {
    progress_store store(4, {});
    progress_record record;
    record.record_id[0] = 0xab;
    record.position_seconds = 5;
    record.first_accessed_at = 1;
    store.load("u1", {"", "c1"}, record);
    store.load("u1", {"", "c0"}, record);
    store.apply_ping("u1", watch("c1", 9), 10);
    const auto found = store.find("u1", "", "c1");
    BOOST_TEST(found->record_id[0] == 0xab);
    BOOST_TEST(found->position_seconds == 9.0);
    BOOST_TEST(store.list_user("u1", 0, 10).records[0].first.content_id == "c0");
}

BOOST_AUTO_TEST_SUITE_END()
