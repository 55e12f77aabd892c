#include "store/catalog.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

// Changes another cluster node made, applied from PostgreSQL's rows: clean, never over a local
// change still to be written, deletions included.

using namespace progressd::store;

namespace {

content_entry entry(std::string id, std::string title = "t", std::vector<std::string> children = {}) {
    content_entry e;
    e.id = std::move(id);
    e.type = "course";
    e.title = std::move(title);
    e.children = std::move(children);
    e.updated_at = 5;
    return e;
}

std::map<std::string, std::string> collect(catalog& contents) {
    std::map<std::string, std::string> changes;
    contents.collect_changes([&](std::string key, std::optional<std::string> value) {
        changes[std::move(key)] = value.value_or("");
    });
    return changes;
}

struct fixture {
    std::atomic<std::uint64_t> generation{1};
    catalog contents{generation};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(catalog_remote, fixture)

BOOST_AUTO_TEST_CASE(applied_rows_are_served_and_never_written_back) {
    const auto version = contents.version();
    BOOST_TEST(contents.apply_remote({"c1", "l1"}, {entry("c1", "Course", {"l1"}), entry("l1", "Lesson")}) == 2);
    const auto snapshot = contents.snapshot();
    BOOST_REQUIRE(snapshot->find("c1"));
    BOOST_TEST(snapshot->find("c1")->title == "Course");
    BOOST_TEST(snapshot->find("l1")->updated_at == 5);  // as the row says, not now
    BOOST_TEST(snapshot->parent_of("l1").value() == "c1");
    BOOST_TEST(contents.version() > version);
    BOOST_TEST(collect(contents).empty());  // clean: written back, it would echo
}

BOOST_AUTO_TEST_CASE(an_id_named_without_a_row_is_removed_and_relations_follow) {
    contents.load({entry("c1", "Course", {"l1"}), entry("l1"), entry("l2")});
    BOOST_TEST(contents.apply_remote({"c1", "l2"}, {entry("l2", "renamed")}) == 2);
    const auto snapshot = contents.snapshot();
    BOOST_TEST(!snapshot->find("c1"));
    BOOST_TEST(!snapshot->parent_of("l1"));
    BOOST_TEST(snapshot->find("l2")->title == "renamed");
    BOOST_TEST(snapshot->find("l1"));  // not named: untouched
    BOOST_TEST(collect(contents).empty());
}

BOOST_AUTO_TEST_CASE(a_local_change_still_to_be_written_wins) {
    contents.load({entry("c1", "old")});
    contents.put(entry("c1", "local"), 100);    // dirty: the persister has not taken it yet
    contents.erase("c1");
    contents.put(entry("c2", "local too"), 100);
    BOOST_TEST(contents.apply_remote({"c1", "c2"}, {entry("c1", "remote"), entry("c2", "remote")}) == 0);
    BOOST_TEST(!contents.snapshot()->find("c1"));
    BOOST_TEST(contents.snapshot()->find("c2")->title == "local too");
    // Written, then no longer dirty: the row read after that write is applied.
    BOOST_TEST(collect(contents).size() == 2);
    BOOST_TEST(contents.apply_remote({"c2"}, {entry("c2", "remote")}) == 1);
    BOOST_TEST(contents.snapshot()->find("c2")->title == "remote");
}

BOOST_AUTO_TEST_CASE(an_equal_row_changes_nothing) {
    contents.load({entry("c1")});
    const auto version = contents.version();
    BOOST_TEST(contents.apply_remote({"c1", "absent"}, {entry("c1")}) == 0);
    BOOST_TEST(contents.version() == version);  // no snapshot republished: the threads keep theirs
}

BOOST_AUTO_TEST_CASE(a_whole_reload_replaces_the_set_except_dirty_ids) {
    contents.load({entry("keep"), entry("gone"), entry("changed", "old")});
    contents.put(entry("local", "mine"), 100);  // not in PostgreSQL yet: must survive the reload
    BOOST_TEST(contents.replace_remote({entry("keep"), entry("changed", "new"), entry("added")}) == 3);
    const auto snapshot = contents.snapshot();
    BOOST_TEST(snapshot->size() == 4u);
    BOOST_TEST(!snapshot->find("gone"));
    BOOST_TEST(snapshot->find("changed")->title == "new");
    BOOST_TEST(snapshot->find("added"));
    BOOST_TEST(snapshot->find("local")->title == "mine");
    const auto changes = collect(contents);
    BOOST_TEST(changes.size() == 1u);
    BOOST_TEST(changes.contains("local"));
}

// Two nodes learned one collection from their own users' pings: neither loses the other's children.
BOOST_AUTO_TEST_CASE(a_collection_learned_on_two_nodes_keeps_the_children_of_both) {
    BOOST_REQUIRE(contents.learn("c1", "l1", 10));
    BOOST_REQUIRE(contents.learn("c1", "l2", 11));
    collect(contents);  // written: clean again
    content_entry remote = entry("c1", "", {"l3"});
    remote.type = "collection";
    remote.learned = true;
    BOOST_TEST(contents.apply_remote({"c1"}, {remote}) == 1);
    const auto children = contents.snapshot()->find("c1")->children;
    BOOST_TEST(children == (std::vector<std::string>{"l3", "l1", "l2"}), boost::test_tools::per_element());
    // The union is written back, so the other node gets the children it did not know.
    BOOST_TEST(collect(contents).count("c1") == 1);

    // The other node's union, once it arrives, is taken as it is and not written again: no echo.
    remote.children = {"l3", "l1", "l2"};
    remote.updated_at = 11;  // the union's, as written back
    BOOST_TEST(contents.apply_remote({"c1"}, {remote}) == 0);
    BOOST_TEST(collect(contents).empty());
}

BOOST_AUTO_TEST_CASE(a_learned_collection_still_to_be_written_is_written_as_the_union) {
    BOOST_REQUIRE(contents.learn("c1", "l1", 10));  // dirty: not collected yet
    content_entry remote = entry("c1", "", {"l1", "l2"});
    remote.type = "collection";
    remote.learned = true;
    BOOST_TEST(contents.apply_remote({"c1"}, {remote}) == 1);
    BOOST_TEST(contents.snapshot()->find("c1")->children == (std::vector<std::string>{"l1", "l2"}),
               boost::test_tools::per_element());
    BOOST_TEST(collect(contents).count("c1") == 1);  // the union, not the one child it had
}

BOOST_AUTO_TEST_SUITE_END()
