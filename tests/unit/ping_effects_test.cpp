#include "app/ping_effects.hpp"

#include <boost/test/unit_test.hpp>

using namespace progressd::store;
using progressd::app::enrol_from_ping;
using progressd::app::enrolment_collection;
using progressd::app::learn_from_ping;

namespace {

ping in_collection(std::string content, std::string collection) {
    ping p;
    p.content_id = std::move(content);
    p.collection_id = std::move(collection);
    return p;
}

struct fixture {
    std::atomic<std::uint64_t> generation{3};
    catalog contents{generation};
    enrolment_store enrolments{4, generation};
    catalog_cache cache;

    std::uint64_t observe(const ping& p) { return learn_from_ping(contents, cache.get(contents), p, 100); }
    std::uint64_t enrol(const ping& p, bool first_access = true) {
        merge_outcome outcome;
        outcome.first_access = first_access;
        return enrol_from_ping(enrolments, cache.get(contents), "u1", p, outcome, 100);
    }
    void put(std::string id, std::vector<std::string> children, std::string parent = {}) {
        content_entry e;
        e.id = std::move(id);
        e.children = std::move(children);
        e.parent_id = std::move(parent);
        contents.put(std::move(e), 1);
    }
};

ping in_context(std::string content, std::string context, std::string collection = {}) {
    ping p = in_collection(std::move(content), std::move(collection));
    p.context_id = std::move(context);
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ping_effects_suite)

BOOST_FIXTURE_TEST_CASE(a_ping_without_collection_changes_nothing, fixture) {
    BOOST_TEST(observe(in_collection("l1", "")) == 0u);
    BOOST_TEST(contents.snapshot()->size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_collection_is_learned_once_per_child, fixture) {
    BOOST_TEST(observe(in_collection("l1", "course")) == 3u);
    BOOST_TEST(observe(in_collection("l1", "course")) == 0u);
    BOOST_TEST(observe(in_collection("l2", "course")) == 3u);
    BOOST_TEST(contents.snapshot()->find("course")->children == (std::vector<std::string>{"l1", "l2"}));
    BOOST_TEST(*contents.snapshot()->parent_of("l2") == "course");
}

BOOST_FIXTURE_TEST_CASE(a_managed_collection_is_not_changed_by_traffic, fixture) {
    content_entry course;
    course.id = "course";
    course.children = {"l1"};
    contents.put(course, 1);
    BOOST_TEST(observe(in_collection("l9", "course")) == 0u);
    BOOST_TEST(contents.snapshot()->find("course")->children.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_content_is_never_its_own_collection, fixture) {
    BOOST_TEST(observe(in_collection("same", "same")) == 0u);
    BOOST_TEST(contents.snapshot()->size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_first_ping_in_a_context_enrols_in_the_named_collection, fixture) {
    BOOST_TEST(enrol(in_context("l1", "batch", "course")) == 3u);
    const auto found = enrolments.find("u1", "course", "batch");
    BOOST_REQUIRE(found);
    BOOST_TEST(found->implicit);
    BOOST_TEST(found->enrolled_at == 100);
    BOOST_TEST(enrol(in_context("l2", "batch", "course")) == 0u);  // already enrolled
}

BOOST_FIXTURE_TEST_CASE(only_a_first_ping_in_a_context_enrols, fixture) {
    BOOST_TEST(enrol(in_context("l1", "batch", "course"), false) == 0u);
    BOOST_TEST(enrol(in_context("l1", "", "course")) == 0u);  // organic use: no enrolment
    BOOST_TEST(enrolments.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(without_collection_id_the_top_ancestor_is_the_collection, fixture) {
    put("program", {"course"});
    put("course", {"unit"});
    put("unit", {"lesson"});
    BOOST_TEST(*enrolment_collection(cache.get(contents), in_context("lesson", "b")) == "program");
    BOOST_TEST(enrol(in_context("lesson", "b")) != 0u);
    BOOST_TEST(enrolments.find("u1", "program", "b").has_value());
    // Unknown content, no collection: nobody to enrol in.
    BOOST_TEST(!enrolment_collection(cache.get(contents), in_context("stray", "b")));
    BOOST_TEST(enrol(in_context("stray", "b")) == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_parent_cycle_does_not_hang, fixture) {
    put("a", {}, "b");
    put("b", {}, "a");
    const auto top = enrolment_collection(cache.get(contents), in_context("a", "ctx"));
    BOOST_TEST(top.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
