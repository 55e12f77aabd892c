#include "store/user_keyed_shards.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using namespace progressd::store;

namespace {

using shards_type = user_keyed_shards<std::string, int, std::less<>>;
using locked_user = shards_type::locked_user;

struct fixture {
    std::atomic<std::uint64_t> generation{7};
    shards_type shards{4, generation};

    // user/key → value, or -1 when collected as gone.
    std::map<std::string, int> collect() {
        std::map<std::string, int> changes;
        shards.collect([&](std::string_view user, const std::string& key, const int* value) {
            changes[std::string(user) + "/" + key] = value ? *value : -1;
        });
        return changes;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(user_keyed_shards_suite)

BOOST_AUTO_TEST_CASE(refuses_a_shard_count_that_is_not_a_power_of_two) {
    std::atomic<std::uint64_t> generation{0};
    BOOST_CHECK_THROW(shards_type(3, generation), std::invalid_argument);
    BOOST_CHECK_THROW(shards_type(0, generation), std::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(modify_keeps_the_count_whatever_the_change_does, fixture) {
    shards.modify("u1", [](locked_user& user) {
        user.create()["a"] = 1;
        user.create()["b"] = 2;
    });
    shards.modify("u2", [](locked_user& user) { user.create()["a"] = 3; });
    BOOST_TEST(shards.size() == 3u);
    // One change that adds one entry and removes two.
    shards.modify("u1", [](locked_user& user) {
        user.existing()->erase("a");
        user.existing()->erase("b");
        user.existing()->emplace("c", 4);
    });
    BOOST_TEST(shards.size() == 2u);
    BOOST_TEST(shards.list_user("u1").size() == 1u);
    BOOST_TEST(shards.find("u1", std::string_view("c")).value() == 4);
    BOOST_TEST(!shards.find("u1", std::string_view("a")));
}

BOOST_FIXTURE_TEST_CASE(a_user_left_without_entries_is_dropped, fixture) {
    shards.modify("u1", [](locked_user& user) { user.create(); });  // created, never filled
    bool seen = false;
    shards.for_each_user([&](std::string_view, const auto&) { seen = true; });
    BOOST_TEST(!seen);
    shards.load("u1", "a", 1);
    BOOST_TEST(shards.erase("u1", std::string_view("a")).value() == 7u);
    shards.for_each_user([&](std::string_view, const auto&) { seen = true; });
    BOOST_TEST(!seen);
    BOOST_TEST(shards.size() == 0u);
    BOOST_TEST(!shards.modify("u1", [](locked_user& user) { return user.existing() != nullptr; }));
}

BOOST_FIXTURE_TEST_CASE(collect_hands_over_listed_keys_once_with_their_newest_state, fixture) {
    shards.load("u1", "loaded", 9);  // recovery: clean
    shards.modify("u1", [](locked_user& user) {
        user.create()["a"] = 1;
        user.changed("a");
        user.create()["a"] = 2;
        user.changed("a");
    });
    shards.modify("u2", [](locked_user& user) {
        user.create()["b"] = 3;
        user.changed("b");
    });
    const auto erased = shards.erase_user("u2");
    BOOST_TEST(erased.count == 1u);
    BOOST_TEST(erased.generation == 7u);
    BOOST_TEST(shards.erase_user("u2").count == 0u);

    const auto changes = collect();
    BOOST_TEST(changes.size() == 2u);
    BOOST_TEST(changes.at("u1/a") == 2);
    BOOST_TEST(changes.at("u2/b") == -1);
    BOOST_TEST(!changes.contains("u1/loaded"));
    BOOST_TEST(collect().empty());
}

BOOST_AUTO_TEST_SUITE_END()
