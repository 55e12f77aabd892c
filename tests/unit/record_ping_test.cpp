#include "app/record_ping.hpp"

#include "app/database.hpp"
#include "temp_dir.hpp"
#include "test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace progressd;
using progressd::testing::make_ping;
using progressd::testing::watch;

namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;

// A database over a fresh data dir, driven the way every API family drives it: no HTTP.
struct fixture {
    progressd::testing::temp_dir dir;
    logger quiet{log_level::error};
    store::lmdb_environment environment = open();
    app::database data;
    store::catalog_cache thread_catalog;

    explicit fixture(store::merge_rules rules = {})
        : data(environment, {.data_dir = dir.str(), .shards = 4, .rules = std::move(rules)}, quiet) {}

    store::lmdb_environment open() {
        std::filesystem::create_directories(dir.path());
        return store::open_data_dir(dir.str(), std::size_t{1} << 20);
    }

    store::apply_result ping(std::string_view user, store::ping observation, std::int64_t at = now_ms) {
        return app::record_ping(data, {thread_catalog, at}, user, observation);
    }

    void subscribe() {
        store::webhook hook;
        hook.id = "hook-1";
        hook.target_url = "http://127.0.0.1:9/";
        BOOST_REQUIRE(data.webhooks().create(hook));
    }

    // The types of the events published since the last call, sorted (deliveries due at the same
    // moment come in no particular order).
    std::vector<store::event_type> events() {
        std::vector<store::event_type> types;
        const auto due = data.outbox().take_due(std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::uint64_t>::max(), 100);
        for (const auto& delivery : due) types.push_back(delivery.value.event.type);
        std::sort(types.begin(), types.end());
        return types;
    }

    void put_course(std::string course, std::vector<std::string> lessons, std::string type = {}) {
        std::vector<store::content_entry> entries;
        store::content_entry top;
        top.id = course;
        top.children = lessons;
        entries.push_back(top);
        for (auto& lesson : lessons) {
            store::content_entry entry;
            entry.id = std::move(lesson);
            entry.parent_id = course;
            entry.type = type;
            entries.push_back(std::move(entry));
        }
        data.catalog().put_all(std::move(entries), now_ms);
    }
};

store::ping in_course(std::string content, std::string context, std::string collection, double position = 10) {
    auto p = watch(std::move(content), position, std::move(context));
    p.collection_id = std::move(collection);
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_ping)

BOOST_AUTO_TEST_CASE(a_ping_merges_into_its_record) {
    fixture f;
    const auto applied = f.ping("u1", watch("c1", 40));
    BOOST_TEST(applied.outcome.first_access);
    BOOST_TEST(applied.generation > 0u);
    const auto record = f.data.records().find("u1", "", "c1");
    BOOST_REQUIRE(record);
    BOOST_TEST(record->position_seconds == 40);
}

BOOST_AUTO_TEST_CASE(a_collection_named_by_a_ping_is_learned) {
    fixture f;
    f.ping("u1", in_course("lesson-1", "", "course-1"));
    const auto snapshot = f.data.catalog().snapshot();
    const auto* course = snapshot->find("course-1");
    BOOST_REQUIRE(course != nullptr);
    BOOST_TEST(course->learned);
    BOOST_TEST(snapshot->lists("course-1", "lesson-1"));
}

BOOST_AUTO_TEST_CASE(the_first_ping_in_a_context_enrols_once) {
    fixture f;
    f.ping("u1", in_course("lesson-1", "tenant-a", "course-1"));
    const auto enrolled = f.data.enrolments().find("u1", "course-1", "tenant-a");
    BOOST_REQUIRE(enrolled);
    f.ping("u1", in_course("lesson-1", "tenant-a", "course-1", 20), now_ms + 1000);
    BOOST_TEST(f.data.enrolments().list_user("u1").size() == 1u);
    // Outside any context nobody is enrolled.
    f.ping("u2", in_course("lesson-1", "", "course-1"));
    BOOST_TEST(f.data.enrolments().list_user("u2").empty());
}

BOOST_AUTO_TEST_CASE(the_generation_covers_the_effects) {
    fixture f;
    const auto applied = f.ping("u1", in_course("lesson-1", "tenant-a", "course-1"));
    // The enrolment (and the learned entry) were written after the record: a sync-mode reply
    // must wait for them too.
    BOOST_TEST(applied.generation >= f.data.records().generation_counter().load());
}

BOOST_AUTO_TEST_CASE(no_events_are_made_without_a_webhook) {
    fixture f;
    f.put_course("course-1", {"lesson-1"});
    f.ping("u1", watch("lesson-1", 100, "tenant-a"));
    BOOST_TEST(f.data.outbox().size() == 0u);
}

BOOST_AUTO_TEST_CASE(completing_the_last_lesson_completes_the_course) {
    fixture f;
    f.subscribe();
    f.put_course("course-1", {"lesson-1", "lesson-2"});
    f.ping("u1", watch("lesson-1", 100, "tenant-a"));
    using store::event_type;
    BOOST_TEST((f.events() == std::vector{event_type::lesson_completion, event_type::course_enrollment}));
    f.ping("u1", watch("lesson-2", 100, "tenant-a"));
    BOOST_TEST((f.events() == std::vector{event_type::lesson_completion, event_type::course_completion}));
    // Completed already: a repeat changes nothing and fires nothing.
    f.ping("u1", watch("lesson-2", 100, "tenant-a"), now_ms + 1000);
    BOOST_TEST(f.events().empty());
}

BOOST_AUTO_TEST_CASE(a_completion_rule_by_type_reads_the_type_from_the_catalog) {
    store::merge_rules rules;
    rules.overrides.push_back(
        {store::completion_override::match::type, "video", {store::completion_policy::furthest, 50}});
    fixture f(rules);
    f.put_course("course-1", {"clip"}, "video");
    auto observation = watch("clip", 60);
    const auto applied = f.ping("u1", observation);
    BOOST_TEST(applied.outcome.became_completed);  // 60 % of 100 s: complete under the video rule
    const auto other = f.ping("u1", watch("not-a-video", 60));
    BOOST_TEST(!other.outcome.became_completed);  // the default rule wants 95 %
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(database_recovery)

BOOST_AUTO_TEST_CASE(every_store_comes_back_after_a_stop) {
    progressd::testing::temp_dir dir;
    const logger quiet{log_level::error};
    const app::database_options options{.data_dir = dir.str(), .shards = 4};
    std::filesystem::create_directories(dir.path());
    {
        auto environment = store::open_data_dir(dir.str(), std::size_t{1} << 20);
        app::database data(environment, options, quiet);
        data.recover();
        data.start();
        store::catalog_cache thread_catalog;
        store::webhook hook;
        hook.id = "hook-1";
        hook.target_url = "http://127.0.0.1:9/";
        BOOST_REQUIRE(data.webhooks().create(hook));
        auto observation = in_course("lesson-1", "tenant-a", "course-1", 100);
        app::record_ping(data, {thread_catalog, now_ms}, "u1", observation);
        BOOST_TEST(data.stop());
    }
    auto environment = store::open_data_dir(dir.str(), std::size_t{1} << 20);
    app::database data(environment, options, quiet);
    const auto loaded = data.recover();
    BOOST_TEST(loaded.records.records == 1u);
    BOOST_TEST(loaded.catalog.records == 1u);     // the learned course
    BOOST_TEST(loaded.enrolments.records == 1u);  // the implicit enrolment
    BOOST_TEST(loaded.webhooks.records == 1u);
    BOOST_TEST(loaded.outbox.records == 3u);  // enrolment, lesson and course completion
    BOOST_TEST(data.records().find("u1", "tenant-a", "lesson-1").has_value());
    BOOST_TEST(data.enrolments().find("u1", "course-1", "tenant-a").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
