#include "store/catalog.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <thread>

using namespace progressd::store;

namespace {

content_entry entry(std::string id, std::vector<std::string> children = {}, std::string parent = {}) {
    content_entry e;
    e.id = std::move(id);
    e.type = "course";
    e.children = std::move(children);
    e.parent_id = std::move(parent);
    return e;
}

std::vector<std::string> strings(const std::vector<std::string_view>& views) { return {views.begin(), views.end()}; }

// Every change a collect hands over: id → encoded value, or "" for a deletion.
std::map<std::string, std::string> collect(catalog& contents) {
    std::map<std::string, std::string> changes;
    contents.collect_changes([&](std::string key, std::optional<std::string> value) {
        changes[std::move(key)] = value.value_or("");
    });
    return changes;
}

struct fixture {
    std::atomic<std::uint64_t> generation{7};
    catalog contents{generation};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(catalog_suite)

BOOST_AUTO_TEST_CASE(an_empty_catalog_finds_nothing) {
    catalog_snapshot empty;
    BOOST_TEST(empty.size() == 0u);
    BOOST_TEST(!empty.find("x"));
    BOOST_TEST(empty.children_of("x").empty());
    BOOST_TEST(!empty.parent_of("x"));
    BOOST_TEST(!empty.lists("c", "x"));
}

BOOST_FIXTURE_TEST_CASE(put_then_find_and_relations, fixture) {
    const auto written = contents.put(entry("course", {"l1", "l2"}), 1000);
    BOOST_TEST(written.created);
    BOOST_TEST(written.generation == 7u);
    auto snapshot = contents.snapshot();
    BOOST_REQUIRE(snapshot->find("course"));
    BOOST_TEST(snapshot->find("course")->updated_at == 1000);
    BOOST_TEST(strings(snapshot->children_of("course")) == (std::vector<std::string>{"l1", "l2"}));
    BOOST_TEST(snapshot->has_children("course"));
    BOOST_TEST(!snapshot->has_children("l1"));
    BOOST_TEST(*snapshot->parent_of("l1") == "course");
    BOOST_TEST(snapshot->lists("course", "l2"));
    BOOST_TEST(!snapshot->lists("course", "l3"));
    BOOST_TEST(!contents.put(entry("course", {"l1"}), 2000).created);
}

BOOST_FIXTURE_TEST_CASE(snapshots_are_immutable_once_taken, fixture) {
    contents.put(entry("course", {"l1"}), 1);
    const auto before = contents.snapshot();
    const auto version = contents.version();
    contents.put(entry("course", {"l1", "l2"}), 2);
    contents.put(entry("other"), 3);
    BOOST_TEST(contents.version() > version);
    BOOST_TEST(strings(before->children_of("course")) == (std::vector<std::string>{"l1"}));
    BOOST_TEST(!before->find("other"));
    BOOST_TEST(before->size() == 1u);
    BOOST_TEST(contents.snapshot()->size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(replacing_an_entry_replaces_its_relations, fixture) {
    contents.put(entry("course", {"a", "b"}), 1);
    contents.put(entry("course", {"b", "c"}), 2);
    auto snapshot = contents.snapshot();
    BOOST_TEST(!snapshot->parent_of("a"));
    BOOST_TEST(!snapshot->lists("course", "a"));
    BOOST_TEST(*snapshot->parent_of("c") == "course");
}

BOOST_FIXTURE_TEST_CASE(declared_parents_follow_the_listed_children, fixture) {
    contents.put(entry("course", {"l2"}), 1);
    contents.put(entry("l3", {}, "course"), 1);
    contents.put(entry("l1", {}, "course"), 1);
    contents.put(entry("l2", {}, "course"), 1);  // listed and declared: appears once
    auto snapshot = contents.snapshot();
    BOOST_TEST(strings(snapshot->children_of("course")) == (std::vector<std::string>{"l2", "l1", "l3"}));
    // A parent with no entry of its own still has children.
    contents.put(entry("orphan", {}, "ghost"), 1);
    BOOST_TEST(contents.snapshot()->has_children("ghost"));
    BOOST_TEST(strings(contents.snapshot()->children_of("ghost")) == (std::vector<std::string>{"orphan"}));
}

BOOST_FIXTURE_TEST_CASE(the_declared_parent_wins_then_the_first_listing_collection, fixture) {
    contents.put(entry("b-course", {"shared"}), 1);
    contents.put(entry("a-course", {"shared"}), 1);
    BOOST_TEST(*contents.snapshot()->parent_of("shared") == "a-course");
    contents.put(entry("shared", {}, "b-course"), 1);
    BOOST_TEST(*contents.snapshot()->parent_of("shared") == "b-course");
}

BOOST_FIXTURE_TEST_CASE(erase_removes_the_entry_and_its_relations, fixture) {
    contents.put(entry("course", {"l1"}), 1);
    contents.put(entry("l1", {}, "course"), 1);
    BOOST_TEST(contents.erase("course").has_value());
    BOOST_TEST(!contents.erase("course").has_value());
    auto snapshot = contents.snapshot();
    BOOST_TEST(!snapshot->find("course"));
    BOOST_TEST(!snapshot->lists("course", "l1"));
    BOOST_TEST(*snapshot->parent_of("l1") == "course");  // l1 still declares it
    contents.erase("l1");
    BOOST_TEST(!contents.snapshot()->has_children("course"));
    BOOST_TEST(contents.snapshot()->size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(learning_creates_then_grows_a_learned_collection, fixture) {
    BOOST_TEST(contents.learn("course", "l1", 5).value() == 7u);
    BOOST_TEST(contents.learn("course", "l2", 6).has_value());
    BOOST_TEST(!contents.learn("course", "l1", 7).has_value());  // already a child
    BOOST_TEST(!contents.learn("course", "course", 7).has_value());
    const auto* learned = contents.snapshot()->find("course");
    BOOST_REQUIRE(learned);
    BOOST_TEST(learned->learned);
    BOOST_TEST(learned->type == "collection");
    BOOST_TEST(learned->children == (std::vector<std::string>{"l1", "l2"}));
    BOOST_TEST(learned->updated_at == 6);
}

BOOST_FIXTURE_TEST_CASE(learning_leaves_authoritative_entries_alone, fixture) {
    contents.put(entry("course", {"l1"}), 1);
    BOOST_TEST(!contents.learn("course", "intruder", 2).has_value());
    BOOST_TEST(contents.snapshot()->find("course")->children == (std::vector<std::string>{"l1"}));
    // A put over a learned collection makes it authoritative.
    contents.learn("learned", "x", 3);
    contents.put(entry("learned", {"y"}), 4);
    BOOST_TEST(!contents.snapshot()->find("learned")->learned);
    BOOST_TEST(!contents.learn("learned", "z", 5).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_learned_collection_stops_growing_at_the_cap, fixture) {
    for (std::size_t i = 0; i < max_learned_children; ++i) contents.learn("big", "c" + std::to_string(i), 1);
    BOOST_TEST(!contents.learn("big", "one-more", 1).has_value());
    BOOST_TEST(contents.snapshot()->find("big")->children.size() == max_learned_children);
}

BOOST_FIXTURE_TEST_CASE(put_all_is_one_snapshot_and_skips_unchanged_entries, fixture) {
    const auto version = contents.version();
    contents.put_all({entry("a", {"x"}), entry("b"), entry("a", {"y"})}, 10);
    BOOST_TEST(contents.version() == version + 1);
    BOOST_TEST(contents.snapshot()->find("a")->children == (std::vector<std::string>{"y"}));  // last wins
    BOOST_TEST(collect(contents).size() == 2u);
    contents.put_all({entry("a", {"y"}), entry("b")}, 20);  // the same again
    BOOST_TEST(contents.snapshot()->find("a")->updated_at == 10);
    BOOST_TEST(collect(contents).empty());
}

BOOST_FIXTURE_TEST_CASE(changes_are_collected_once_with_deletions_as_tombstones, fixture) {
    contents.put(entry("a"), 1);
    contents.put(entry("a", {"x"}), 2);
    contents.put(entry("b"), 3);
    contents.erase("b");
    auto changes = collect(contents);
    BOOST_REQUIRE(changes.size() == 2u);
    auto decoded = decode_catalog_entry("a", changes["a"]);
    BOOST_REQUIRE(decoded);
    BOOST_TEST(decoded->children == (std::vector<std::string>{"x"}));
    BOOST_TEST(changes["b"].empty());
    BOOST_TEST(collect(contents).empty());
}

BOOST_FIXTURE_TEST_CASE(loaded_entries_are_clean, fixture) {
    auto learned = entry("l", {"x"});
    learned.learned = true;
    contents.load({entry("a", {"x"}), learned});
    BOOST_TEST(collect(contents).empty());
    BOOST_TEST(contents.snapshot()->find("l")->learned);
    BOOST_TEST(contents.learn("l", "y", 1).has_value());
}

BOOST_FIXTURE_TEST_CASE(writes_carry_the_current_generation, fixture) {
    generation = 41;
    BOOST_TEST(contents.put(entry("a"), 1).generation == 41u);
    generation = 42;
    BOOST_TEST(contents.erase("a").value() == 42u);
}

BOOST_FIXTURE_TEST_CASE(the_cache_follows_changes, fixture) {
    catalog_cache cache;
    BOOST_TEST(!cache.get(contents).find("a"));
    contents.put(entry("a"), 1);
    BOOST_TEST(cache.get(contents).find("a"));
    const auto* first = &cache.get(contents);
    BOOST_TEST(&cache.get(contents) == first);  // unchanged: the same snapshot
    std::atomic<std::uint64_t> other_generation{1};
    catalog other(other_generation);
    BOOST_TEST(!cache.get(other).find("a"));  // another catalog is another view
}

BOOST_FIXTURE_TEST_CASE(readers_and_writers_run_concurrently, fixture) {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> reads{0};
    std::atomic<std::size_t> unlisted{0};  // Boost.Test assertions are not thread-safe: count, check after
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            catalog_cache cache;
            while (!stop.load()) {
                const auto& snapshot = cache.get(contents);
                if (const auto* course = snapshot.find("course")) {
                    for (const auto& child : course->children) unlisted += !snapshot.lists("course", child);
                }
                ++reads;
            }
        });
    }
    for (int i = 0; i < 500; ++i) contents.learn("course", "l" + std::to_string(i), i);
    stop = true;
    for (auto& reader : readers) reader.join();
    BOOST_TEST(unlisted.load() == 0u);
    BOOST_TEST(contents.snapshot()->find("course")->children.size() == 500u);
    BOOST_TEST(reads.load() > 0u);
}

BOOST_AUTO_TEST_CASE(persisted_through_the_persister_and_recovered) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("progressd-catalog-test-" + std::to_string(std::random_device{}()));
    const progressd::logger quiet{progressd::log_level::error};
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        progress_store store(4, {});
        catalog contents(store.generation_counter());
        persister writer(store, environment, {durability_mode::sync, std::chrono::hours(1)}, quiet);
        writer.attach(contents, environment.catalog());
        writer.start();
        auto course = entry("course", {"l1", "l2"});
        course.duration_seconds = 600;
        course.attributes = R"({"thumbnail_url":"t.png"})";
        course.optional = true;
        contents.put(course, 1);
        contents.put(entry("gone"), 1);
        contents.erase("gone");
        const auto learned = contents.learn("learned", "x", 2);
        BOOST_REQUIRE(learned);
        // Sync mode: the waiter of the last change's generation sees every change committed.
        std::promise<bool> durable;
        writer.when_durable(*learned, [&](bool ok) { durable.set_value(ok); });
        writer.request_flush();
        BOOST_TEST(durable.get_future().get());
        BOOST_TEST(writer.stop());
    }
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        std::atomic<std::uint64_t> generation{1};
        catalog reloaded(generation);
        const auto result = recover_catalog(environment, reloaded, quiet);
        BOOST_TEST(result.records == 2u);
        BOOST_TEST(result.corrupt == 0u);
        auto snapshot = reloaded.snapshot();
        BOOST_REQUIRE(snapshot->find("course"));
        BOOST_TEST(*snapshot->find("course")->duration_seconds == 600.0);
        BOOST_TEST(snapshot->find("course")->attributes == R"({"thumbnail_url":"t.png"})");
        BOOST_TEST(snapshot->find("course")->optional);
        BOOST_TEST(!snapshot->find("gone"));
        BOOST_TEST(snapshot->find("learned")->learned);
        BOOST_TEST(*snapshot->parent_of("l2") == "course");
    }
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
