#include "store/webhooks.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

// The registry's remote changes (cluster mode): applied clean, a local change still to be
// written kept, deletions followed, an equal webhook no change.

using namespace progressd::store;

namespace {

webhook hook(std::string id, std::string url = "http://receiver.test/hook", bool active = true) {
    webhook value;
    value.id = std::move(id);
    value.target_url = std::move(url);
    value.active = active;
    value.secret = "0123456789abcdef0123456789abcdef";
    value.created_at = 7;
    return value;
}

std::set<std::string> collect(webhook_registry& registry) {
    std::set<std::string> keys;
    registry.collect_changes([&](std::string key, std::optional<std::string>) { keys.insert(std::move(key)); });
    return keys;
}

struct fixture {
    std::atomic<std::uint64_t> generation{1};
    webhook_registry registry{generation};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(webhook_registry_remote, fixture)

BOOST_AUTO_TEST_CASE(applied_rows_are_served_clean) {
    BOOST_TEST(!registry.any_active());
    BOOST_TEST(registry.apply_remote({"w1"}, {hook("w1")}) == 1);
    BOOST_TEST(registry.find("w1").has_value());
    BOOST_TEST(registry.any_active());
    BOOST_TEST(registry.snapshot()->size() == 1u);
    BOOST_TEST(collect(registry).empty());
}

BOOST_AUTO_TEST_CASE(a_named_id_without_a_row_is_removed) {
    registry.load(hook("w1"));
    registry.load(hook("w2"));
    BOOST_TEST(registry.apply_remote({"w1", "never"}, {}) == 1);
    BOOST_TEST(!registry.find("w1").has_value());
    BOOST_TEST(registry.find("w2").has_value());
    BOOST_TEST(collect(registry).empty());
}

BOOST_AUTO_TEST_CASE(a_deactivation_elsewhere_stops_events_here) {
    registry.load(hook("w1"));
    BOOST_TEST(registry.apply_remote({"w1"}, {hook("w1", "http://receiver.test/hook", false)}) == 1);
    BOOST_TEST(!registry.any_active());
    BOOST_TEST(registry.targets_for(event_type::lesson_completion).empty());
}

BOOST_AUTO_TEST_CASE(a_local_change_still_to_be_written_wins) {
    registry.create(hook("w1", "http://mine.test/"));
    registry.load(hook("w2"));
    registry.remove("w2");
    BOOST_TEST(registry.apply_remote({"w1", "w2"}, {hook("w1", "http://theirs.test/"), hook("w2")}) == 0);
    BOOST_TEST(registry.find("w1")->target_url == "http://mine.test/");
    BOOST_TEST(!registry.find("w2").has_value());
    BOOST_TEST(collect(registry).size() == 2u);
    BOOST_TEST(registry.apply_remote({"w1"}, {hook("w1", "http://theirs.test/")}) == 1);
    BOOST_TEST(registry.find("w1")->target_url == "http://theirs.test/");
}

BOOST_AUTO_TEST_CASE(an_equal_webhook_changes_nothing_and_a_reload_replaces_the_set) {
    registry.load(hook("same"));
    registry.load(hook("gone"));
    registry.create(hook("local"));
    BOOST_TEST(registry.apply_remote({"same"}, {hook("same")}) == 0);
    BOOST_TEST(registry.replace_remote({hook("same"), hook("new")}) == 2);  // "gone" removed, "new" added
    const auto all = registry.snapshot();
    BOOST_TEST(all->size() == 3u);
    BOOST_TEST(registry.find("local").has_value());
    BOOST_TEST(!registry.find("gone").has_value());
    BOOST_TEST(collect(registry) == std::set<std::string>{"local"});
}

BOOST_AUTO_TEST_SUITE_END()
