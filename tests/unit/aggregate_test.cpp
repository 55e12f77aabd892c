#include "store/aggregate.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace progressd::store;

namespace {

struct fixture {
    std::atomic<std::uint64_t> generation{1};
    catalog contents{generation};
    std::map<std::string, progress_record, std::less<>> records;

    void collection(std::string id, std::vector<std::string> children, std::optional<double> duration = {}) {
        content_entry e;
        e.id = std::move(id);
        e.type = "course";
        e.children = std::move(children);
        e.duration_seconds = duration;
        contents.put(std::move(e), 1);
    }

    void lesson(std::string id, std::optional<double> duration, bool optional = false, std::string parent = {}) {
        content_entry e;
        e.id = std::move(id);
        e.type = "video";
        e.title = "Lesson " + e.id;
        e.duration_seconds = duration;
        e.optional = optional;
        e.parent_id = std::move(parent);
        contents.put(std::move(e), 1);
    }

    void watched(const std::string& id, double percent, double time_spent = 0, std::int64_t last_access = 0) {
        auto& r = records[id];
        r.status = progress_status::in_progress;
        r.progress_percent = percent;
        r.time_spent_seconds = time_spent;
        r.last_accessed_at = last_access;
    }

    void completed(const std::string& id, std::int64_t at = 1000, double time_spent = 0) {
        auto& r = records[id];
        r.status = progress_status::completed;
        r.progress_percent = 100;
        r.completed_at = at;
        r.last_accessed_at = at;
        r.time_spent_seconds = time_spent;
    }

    node_progress aggregate(std::string_view id) {
        auto snapshot = contents.snapshot();
        return aggregate_collection(*snapshot, id, [this](std::string_view content) -> const progress_record* {
            auto found = records.find(content);
            return found == records.end() ? nullptr : &found->second;
        });
    }
};

const node_progress& child(const node_progress& node, std::string_view id) {
    for (const auto& c : node.children) {
        if (c.content_id == id) return c;
    }
    BOOST_FAIL("no child " << id);
    return node;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(aggregate_suite)

BOOST_FIXTURE_TEST_CASE(an_empty_collection_is_not_started_with_no_current_child, fixture) {
    collection("empty", {});
    const auto result = aggregate("empty");
    BOOST_TEST(result.collection);
    BOOST_TEST(result.progress_percent == 0.0);
    BOOST_TEST((result.status == progress_status::not_started));
    BOOST_TEST(result.counts.total == 0u);
    BOOST_TEST(result.current_child_id.empty());
    BOOST_TEST(result.children.empty());
}

BOOST_FIXTURE_TEST_CASE(six_lessons_two_completed_one_started, fixture) {
    collection("course", {"l1", "l2", "l3", "l4", "l5", "l6"});
    completed("l1");
    completed("l2");
    watched("l3", 50);
    const auto result = aggregate("course");
    BOOST_TEST(result.progress_percent == 250.0 / 6, boost::test_tools::tolerance(1e-9));
    BOOST_TEST((result.weights == weighting::count));
    BOOST_TEST((result.status == progress_status::in_progress));
    BOOST_TEST(result.counts.total == 6u);
    BOOST_TEST(result.counts.completed == 2u);
    BOOST_TEST(result.counts.in_progress == 1u);
    BOOST_TEST(result.counts.not_started == 3u);
    BOOST_TEST(result.current_child_id == "l3");
    BOOST_TEST(result.current_content_id == "l3");
    BOOST_REQUIRE(result.children.size() == 6u);
    BOOST_TEST(result.children[2].progress_percent == 50.0);
    BOOST_TEST(!result.children[5].has_record);
}

BOOST_FIXTURE_TEST_CASE(the_current_child_is_the_first_not_completed_in_catalog_order, fixture) {
    collection("course", {"l1", "l2", "l3"});
    completed("l2");
    BOOST_TEST(aggregate("course").current_child_id == "l1");
    completed("l1");
    BOOST_TEST(aggregate("course").current_child_id == "l3");
}

BOOST_FIXTURE_TEST_CASE(durations_weight_the_mean, fixture) {
    collection("course", {"short", "long"});
    lesson("short", 100);
    lesson("long", 300);
    completed("short");
    auto result = aggregate("course");
    BOOST_TEST(result.progress_percent == 25.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST((result.weights == weighting::duration));
    BOOST_TEST(*result.duration_seconds == 400.0);
    watched("long", 50);
    BOOST_TEST(aggregate("course").progress_percent == 62.5, boost::test_tools::tolerance(1e-9));
}

BOOST_FIXTURE_TEST_CASE(record_durations_stand_in_for_unknown_catalog_durations, fixture) {
    collection("course", {"a", "b"});
    completed("a");
    records["a"].duration_seconds = 100;
    watched("b", 0);
    records["b"].duration_seconds = 300;
    BOOST_TEST(aggregate("course").progress_percent == 25.0, boost::test_tools::tolerance(1e-9));
}

BOOST_FIXTURE_TEST_CASE(unknown_durations_weigh_the_mean_known_one, fixture) {
    collection("course", {"a", "b", "pdf"});
    lesson("a", 100);
    lesson("b", 300);
    lesson("pdf", std::nullopt);  // weighs 200, the mean of 100 and 300
    completed("pdf");
    const auto result = aggregate("course");
    BOOST_TEST(result.progress_percent == 100.0 * 200 / 600, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(!result.duration_seconds);  // not every duration is known
}

BOOST_FIXTURE_TEST_CASE(optional_children_count_for_neither_percent_nor_completion, fixture) {
    collection("course", {"l1", "bonus", "l2"});
    lesson("l1", 100);
    lesson("bonus", 1000, true);
    lesson("l2", 100);
    completed("l1", 10, 5);
    watched("bonus", 90, 7, 50);
    auto result = aggregate("course");
    BOOST_TEST(result.progress_percent == 50.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(result.counts.total == 2u);
    BOOST_TEST(result.counts.optional == 1u);
    BOOST_TEST(result.time_spent_seconds == 12.0);  // optional time counts as time spent
    BOOST_TEST(result.last_accessed_at == 50);
    BOOST_TEST(result.current_child_id == "l2");     // never the optional one
    completed("l2", 20);
    result = aggregate("course");
    BOOST_TEST((result.status == progress_status::completed));
    BOOST_TEST(result.progress_percent == 100.0);
    BOOST_TEST(result.completed_at == 20);
    BOOST_TEST(result.current_child_id == "l2");  // all done: the last required child
    BOOST_TEST(child(result, "bonus").optional);
}

BOOST_FIXTURE_TEST_CASE(a_collection_of_only_optional_children_never_completes, fixture) {
    collection("extras", {"x"});
    lesson("x", 10, true);
    completed("x");
    const auto result = aggregate("extras");
    BOOST_TEST((result.status == progress_status::in_progress));
    BOOST_TEST(result.progress_percent == 0.0);
    BOOST_TEST(result.current_child_id.empty());
}

BOOST_FIXTURE_TEST_CASE(nested_collections_aggregate_recursively, fixture) {
    collection("course", {"unit-1", "unit-2"});
    collection("unit-1", {"a", "b"});
    collection("unit-2", {"c", "d"});
    lesson("a", 100);
    lesson("b", 100);
    lesson("c", 300);
    lesson("d", 300);
    completed("a", 5);
    completed("b", 6);
    watched("c", 50, 30, 99);
    const auto result = aggregate("course");
    const auto& unit1 = child(result, "unit-1");
    const auto& unit2 = child(result, "unit-2");
    BOOST_TEST(unit1.collection);
    BOOST_TEST((unit1.status == progress_status::completed));
    BOOST_TEST(unit1.completed_at == 6);
    BOOST_TEST(*unit1.duration_seconds == 200.0);
    BOOST_TEST(unit2.progress_percent == 25.0, boost::test_tools::tolerance(1e-9));
    // (200 × 100 + 600 × 25) / 800
    BOOST_TEST(result.progress_percent == 43.75, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(result.counts.completed == 1u);
    BOOST_TEST(result.counts.in_progress == 1u);
    BOOST_TEST(result.current_child_id == "unit-2");
    BOOST_TEST(result.current_content_id == "c");
    BOOST_TEST(result.time_spent_seconds == 30.0);
    BOOST_TEST(result.last_accessed_at == 99);
}

BOOST_FIXTURE_TEST_CASE(a_catalog_duration_on_a_unit_overrides_the_sum, fixture) {
    collection("course", {"unit-1", "l9"});
    collection("unit-1", {"a"}, 900);
    lesson("a", 100);
    lesson("l9", 100);
    completed("l9");
    BOOST_TEST(aggregate("course").progress_percent == 10.0, boost::test_tools::tolerance(1e-9));
}

BOOST_FIXTURE_TEST_CASE(changing_the_catalog_changes_the_next_aggregate, fixture) {
    collection("course", {"l1", "l2"});
    completed("l1");
    completed("l2");
    BOOST_TEST((aggregate("course").status == progress_status::completed));
    collection("course", {"l1", "l2", "l3"});
    const auto result = aggregate("course");
    BOOST_TEST((result.status == progress_status::in_progress));
    BOOST_TEST(result.progress_percent == 200.0 / 3, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(result.current_child_id == "l3");
    lesson("l3", 10, true);  // now optional: the course is complete again
    BOOST_TEST((aggregate("course").status == progress_status::completed));
}

BOOST_FIXTURE_TEST_CASE(declared_children_count_after_listed_ones, fixture) {
    collection("course", {"l1"});
    lesson("l2", std::nullopt, false, "course");
    completed("l1");
    const auto result = aggregate("course");
    BOOST_REQUIRE(result.children.size() == 2u);
    BOOST_TEST(result.children[1].content_id == "l2");
    BOOST_TEST(result.children[1].title == "Lesson l2");
    BOOST_TEST(result.progress_percent == 50.0);
    BOOST_TEST(result.current_child_id == "l2");
}

BOOST_FIXTURE_TEST_CASE(a_cycle_in_the_catalog_ends, fixture) {
    collection("a", {"b"});
    collection("b", {"a", "leaf"});
    completed("leaf");
    const auto result = aggregate("a");
    const auto& b = child(result, "b");
    BOOST_TEST(b.collection);
    BOOST_TEST(!child(b, "a").collection);  // already on the path: a leaf without a record
    BOOST_TEST(b.progress_percent == 50.0);
    BOOST_TEST(collection_contents(*contents.snapshot(), "a").size() == 2u);  // b, leaf
}

BOOST_FIXTURE_TEST_CASE(a_completed_record_counts_as_100_percent, fixture) {
    collection("course", {"quiz"});
    completed("quiz");
    records["quiz"].progress_percent = 40;  // e.g. completed by passing, not by watching
    BOOST_TEST(aggregate("course").progress_percent == 100.0);
}

BOOST_FIXTURE_TEST_CASE(collection_contents_lists_every_depth_once, fixture) {
    collection("course", {"unit-1", "unit-2", "shared"});
    collection("unit-1", {"a", "shared"});
    collection("unit-2", {"b"});
    auto ids = collection_contents(*contents.snapshot(), "course");
    std::sort(ids.begin(), ids.end());
    BOOST_TEST(ids == (std::vector<std::string>{"a", "b", "shared", "unit-1", "unit-2"}));
    BOOST_TEST(is_known_collection(*contents.snapshot(), "unit-2"));
    BOOST_TEST(!is_known_collection(*contents.snapshot(), "nothing"));
}

BOOST_FIXTURE_TEST_CASE(only_a_completed_collection_reads_100_percent, fixture) {
    collection("course", {"a", "b"});
    lesson("a", 60);
    lesson("b", 60);
    completed("a");
    watched("b", 100);  // e.g. sought to the end under the coverage policy: not completed
    const auto result = aggregate("course");
    BOOST_TEST(result.counts.completed == 1u);
    BOOST_TEST(static_cast<int>(result.status) == 1);
    BOOST_TEST(result.progress_percent == 99.0);
    completed("b");
    BOOST_TEST(aggregate("course").progress_percent == 100.0);
}

BOOST_FIXTURE_TEST_CASE(a_catalog_duration_of_zero_weighs_the_reported_one, fixture) {
    collection("course", {"short", "long"});
    lesson("short", 0);  // the catalog says 0: unknown, as if absent
    lesson("long", 300);
    watched("short", 100);
    records["short"].duration_seconds = 100;
    const auto result = aggregate("course");
    BOOST_TEST(*child(result, "short").duration_seconds == 100.0);
    BOOST_TEST((result.weights == weighting::duration));
    BOOST_TEST(result.progress_percent == 25.0);  // 100 × 100 / (100 + 300)
}

BOOST_AUTO_TEST_SUITE_END()
