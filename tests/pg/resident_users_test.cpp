#include "app/resident_users.hpp"

#include "persister_fixture.hpp"
#include "sample_records.hpp"
#include "store/partition.hpp"
#include "user_state_samples.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

// Cluster mode's cache of users against a real PostgreSQL: what a load installs, loads shared,
// eviction of committed users only, drops, and a load that races a drop.

using namespace progressd;
using namespace progressd::store;
using progressd::testing::eventually;
using progressd::testing::open_or_fail;
using progressd::testing::postgres_installed;
using progressd::testing::require_same;
using progressd::testing::sample_state;
using progressd::testing::write_state;

namespace {

struct cache {
    std::string conninfo = testing::shared_pg().create_database();
    connection conn = open_or_fail(conninfo);
    std::atomic<std::uint64_t> durable{0};
    logger quiet{log_level::error};
    progress_store records{8, {}};
    enrolment_store enrolments{8, records.generation_counter()};
    assessment_store assessments{8, records.generation_counter()};
    std::unique_ptr<app::resident_users> residents;

    cache() { BOOST_REQUIRE(migrate(conn).ok()); }
    ~cache() {
        if (residents) residents->stop();
    }

    void start(app::resident_options options) {
        residents = std::make_unique<app::resident_users>(records, enrolments, assessments, conninfo,
                                                          std::move(options), [this] { return durable.load(); }, quiet);
        residents->start();
    }

    // load() and wait for its answer.
    bool load(std::string_view user_id) {
        auto answered = std::make_shared<std::promise<bool>>();
        auto answer = answered->get_future();
        residents->load(user_id, [answered](bool ok) { answered->set_value(ok); });
        BOOST_REQUIRE(answer.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        return answer.get();
    }

    // The persister's batch: collect everything; returns its generation (durable once "committed").
    std::uint64_t collect() {
        const std::uint64_t generation = records.begin_flush();
        for (std::size_t shard = 0; shard < records.shard_count(); ++shard) {
            records.collect_dirty(shard, [](std::string_view, const record_key&, const progress_record*) {});
        }
        enrolments.collect_changes([](std::string, std::optional<std::string>) {});
        assessments.collect_changes([](std::string, std::optional<std::string>) {});
        return generation;
    }

    bool in_memory(std::string_view user_id) const {
        return records.user_bytes(user_id) + enrolments.user_bytes(user_id) + assessments.user_bytes(user_id) != 0;
    }
};

// Two user ids in different partitions.
std::pair<std::string, std::string> users_in_two_partitions() {
    std::string second = "user-b";
    for (int i = 0; partition_of(second) == partition_of("user-a"); ++i) second = "user-b" + std::to_string(i);
    return {"user-a", second};
}

ping ping_of(std::string content) {
    ping p;
    p.context_id = "course";
    p.content_id = std::move(content);
    p.position_seconds = 30;
    p.duration_seconds = 600;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_resident_users, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(a_load_installs_exactly_what_postgresql_has_clean, cache) {
    const auto sample = sample_state();
    write_state(conn, "user-1", sample);
    write_state(conn, "user-2", sample);
    start({});
    BOOST_TEST(!residents->touch("user-1"));
    BOOST_TEST(load("user-1"));
    BOOST_TEST(residents->touch("user-1"));
    BOOST_TEST(!residents->resident("user-2"));
    BOOST_TEST(!in_memory("user-2"));

    const auto page = records.list_user("user-1", 0, 1000);
    BOOST_REQUIRE(page.records.size() == sample.records.size());
    for (const auto& [key, record] : sample.records) {
        const auto found = records.find("user-1", key.context_id, key.content_id);
        BOOST_REQUIRE(found.has_value());
        require_same(*found, record);
    }
    const auto enrolled = enrolments.list_user("user-1");
    BOOST_REQUIRE(enrolled.size() == sample.enrolments.size());
    for (const auto& [key, value] : sample.enrolments) {
        BOOST_TEST((enrolments.find("user-1", key.collection_id, key.context_id) == value));
    }
    BOOST_REQUIRE(assessments.list_user("user-1").size() == sample.assessments.size());
    for (const auto& [key, state] : sample.assessments) BOOST_TEST((assessments.find("user-1", key) == state));

    // Clean: nothing for the persister to write back.
    BOOST_TEST(records.stats().dirty == 0u);
    std::size_t changes = 0;
    enrolments.collect_changes([&](std::string, std::optional<std::string>) { ++changes; });
    assessments.collect_changes([&](std::string, std::optional<std::string>) { ++changes; });
    BOOST_TEST(changes == 0u);

    const auto stats = residents->stats();
    BOOST_TEST(stats.users == 1u);
    BOOST_TEST(stats.loads == 1u);
    BOOST_TEST(stats.bytes > 0u);
    // Loaded again: already resident, answered without a query.
    BOOST_TEST(load("user-1"));
    BOOST_TEST(residents->stats().loads == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_user_unknown_to_postgresql_loads_empty_and_is_resident, cache) {
    start({});
    BOOST_TEST(load("new-user"));
    BOOST_TEST(residents->touch("new-user"));
    BOOST_TEST(!in_memory("new-user"));
}

BOOST_FIXTURE_TEST_CASE(fifty_concurrent_loads_of_one_user_run_one_query, cache) {
    write_state(conn, "user-1", sample_state());
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    app::resident_options options;
    options.before_install = [released](std::string_view) { released.wait(); };  // the query is done
    start(options);

    constexpr int callers = 50;
    std::atomic<int> answered_true{0}, answered{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
        threads.emplace_back([&] {
            residents->load("user-1", [&](bool ok) {
                if (ok) answered_true.fetch_add(1);
                answered.fetch_add(1);
            });
        });
    }
    for (auto& thread : threads) thread.join();
    BOOST_TEST(answered.load() == 0);  // the one load is held before its installation
    release.set_value();
    BOOST_REQUIRE(eventually([&] { return answered.load() == callers; }));
    BOOST_TEST(answered_true.load() == callers);
    const auto stats = residents->stats();
    BOOST_TEST(stats.loads == 1u);
    BOOST_TEST(stats.shared_waits == std::uint64_t(callers - 1));
    BOOST_TEST(stats.load_failures == 0u);
    BOOST_TEST(residents->touch("user-1"));
}

BOOST_FIXTURE_TEST_CASE(over_the_bound_only_clean_and_durable_users_leave, cache) {
    write_state(conn, "clean", sample_state());
    write_state(conn, "dirty", sample_state());
    write_state(conn, "collected", sample_state());
    app::resident_options options;
    options.max_bytes = 1;  // every user is over it
    options.janitor_period = std::chrono::milliseconds(20);
    // Long enough for the writes below to land while each user still counts as just loaded.
    options.min_idle = std::chrono::milliseconds(300);
    start(options);
    for (const char* user : {"clean", "dirty", "collected"}) BOOST_REQUIRE(load(user));

    records.apply_ping("collected", ping_of("new-lesson"), 1000);
    const std::uint64_t batch = collect();  // collected (not dirty any more) but not committed
    durable = batch - 1;
    const auto written = records.apply_ping("dirty", ping_of("new-lesson"), 1000).generation;
    enrolments.ensure("dirty", "course", "", 1000);

    BOOST_REQUIRE(eventually([&] { return !residents->resident("clean"); }));
    BOOST_TEST(!in_memory("clean"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // several janitor passes
    BOOST_TEST(residents->resident("collected"));
    BOOST_TEST(residents->resident("dirty"));
    BOOST_TEST(records.find("collected", "course", "new-lesson").has_value());
    BOOST_TEST(residents->stats().evictions == 1u);

    durable = batch;  // the batch committed
    BOOST_REQUIRE(eventually([&] { return !residents->resident("collected"); }));
    BOOST_TEST(!in_memory("collected"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    BOOST_TEST(residents->resident("dirty"));  // its writes are newer than the durable generation

    const std::uint64_t next = collect();
    BOOST_TEST(next >= written);
    durable = next;
    BOOST_REQUIRE(eventually([&] { return !residents->resident("dirty"); }));
    BOOST_TEST(!in_memory("dirty"));
    const auto stats = residents->stats();
    BOOST_TEST(stats.evictions == 3u);
    BOOST_TEST(stats.users == 0u);
    BOOST_TEST(stats.bytes == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_recently_touched_user_is_not_evicted, cache) {
    write_state(conn, "hot", sample_state());
    app::resident_options options;
    options.max_bytes = 1;
    options.janitor_period = std::chrono::milliseconds(20);
    options.min_idle = std::chrono::milliseconds(400);
    start(options);
    BOOST_REQUIRE(load("hot"));
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
    while (std::chrono::steady_clock::now() < until) {
        BOOST_REQUIRE(residents->touch("hot"));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_REQUIRE(eventually([&] { return !residents->resident("hot"); }));  // once left alone
}

BOOST_FIXTURE_TEST_CASE(without_a_bound_nothing_is_evicted, cache) {
    write_state(conn, "user-1", sample_state());
    app::resident_options options;
    options.janitor_period = std::chrono::milliseconds(10);
    options.min_idle = std::chrono::milliseconds(0);
    start(options);
    BOOST_REQUIRE(load("user-1"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    BOOST_TEST(residents->resident("user-1"));
    BOOST_TEST(residents->stats().evictions == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_dropped_partition_takes_its_users_out_dirty_or_not, cache) {
    const auto [kept, dropped] = users_in_two_partitions();
    write_state(conn, kept, sample_state());
    write_state(conn, dropped, sample_state());
    start({});
    BOOST_REQUIRE(load(kept));
    BOOST_REQUIRE(load(dropped));
    records.apply_ping(dropped, ping_of("unsaved"), 1000);  // dirty: the drop ignores it
    enrolments.ensure(dropped, "course-x", "", 1000);

    const std::uint32_t gone[] = {partition_of(dropped)};
    residents->drop_partitions(gone);
    BOOST_TEST(!residents->touch(dropped));
    BOOST_TEST(!in_memory(dropped));
    BOOST_TEST(residents->touch(kept));
    BOOST_TEST(in_memory(kept));
    std::size_t changes = 0;  // the dropped user's unsaved changes are never written
    enrolments.collect_changes([&](std::string, std::optional<std::string>) { ++changes; });
    BOOST_TEST(changes == 0u);
    BOOST_TEST(records.stats().dirty == 0u);
    const auto stats = residents->stats();
    BOOST_TEST(stats.drops == 1u);
    BOOST_TEST(stats.users == 1u);

    // Loaded again (the partition came back): PostgreSQL's state, without the dropped write.
    BOOST_TEST(load(dropped));
    BOOST_TEST(!records.find(dropped, "course", "unsaved").has_value());
    BOOST_TEST(records.list_user(dropped, 0, 1000).total == sample_state().records.size());
}

BOOST_FIXTURE_TEST_CASE(a_load_racing_a_drop_installs_nothing, cache) {
    write_state(conn, "user-1", sample_state());
    std::promise<void> queried, release;
    auto was_queried = queried.get_future();
    std::shared_future<void> released = release.get_future().share();
    app::resident_options options;
    options.before_install = [&queried, released](std::string_view) {
        queried.set_value();
        released.wait();
    };
    start(options);
    auto answered = std::make_shared<std::promise<bool>>();
    auto answer = answered->get_future();
    residents->load("user-1", [answered](bool ok) { answered->set_value(ok); });
    BOOST_REQUIRE(was_queried.wait_for(std::chrono::seconds(10)) == std::future_status::ready);

    const std::uint32_t gone[] = {partition_of("user-1")};
    residents->drop_partitions(gone);  // the partition is given up while the load is in flight
    release.set_value();
    BOOST_REQUIRE(answer.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    BOOST_TEST(!answer.get());
    BOOST_TEST(!residents->resident("user-1"));
    BOOST_TEST(!in_memory("user-1"));
    BOOST_TEST(residents->stats().stale_loads == 1u);
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_postgresql_answers_false_and_stop_answers_the_rest, cache) {
    conninfo = "host=127.0.0.1 port=1 connect_timeout=2";  // nothing listens there
    start({});
    BOOST_TEST(!load("user-1"));
    BOOST_TEST(!residents->resident("user-1"));
    BOOST_TEST(residents->stats().load_failures >= 1u);
    BOOST_TEST(!load("user-2"));  // within the backoff: at once
    residents->stop();
    BOOST_TEST(!load("user-3"));  // stopped: answered false, never queued
}

BOOST_AUTO_TEST_SUITE_END()
