// A snapshot-mode persister that falls behind its writes (store/persist/persister.hpp, "When it
// falls behind"): a real persister on a real LMDB, its batch held up by a source whose collection
// waits for the test, as a persister given too little of a shared core is held up.
#include "store/persist/persister.hpp"

#include "tests/unit/durable_future.hpp"
#include "tests/unit/eventually.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace progressd::store;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t map_size = std::size_t{1} << 20;
constexpr std::chrono::milliseconds short_interval{50};
const progressd::logger quiet{progressd::log_level::error};

using progressd::testing::durable;
using progressd::testing::eventually;
using progressd::testing::temp_dir;
using progressd::testing::watch;

// Its first collection waits until release(); later ones return at once. It has no changes.
class stalling_source final : public dirty_source {
public:
    std::size_t collect_changes(const change_visitor&) override {
        std::unique_lock lock(mutex_);
        released_.wait(lock, [&] { return let_go_; });
        return 0;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            let_go_ = true;
        }
        released_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool let_go_ = false;
};

struct lagging_fixture {
    explicit lagging_fixture(std::chrono::milliseconds interval = short_interval)
        : environment(open_data_dir(dir.str(), map_size)), writer(store, environment, options(interval), quiet) {
        writer.attach(source, environment.catalog());
    }
    ~lagging_fixture() {
        source.release();
        writer.stop();
    }
    static persister_options options(std::chrono::milliseconds interval) {
        persister_options o;
        o.mode = durability_mode::snapshot;
        o.flush_interval = interval;
        return o;
    }

    temp_dir dir;
    lmdb_environment environment;
    progress_store store{8, {}};
    stalling_source source;
    persister writer;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(persister_lag_suite)

BOOST_FIXTURE_TEST_CASE(a_batch_held_past_two_intervals_is_falling_behind_until_it_commits, lagging_fixture) {
    const auto started = std::chrono::steady_clock::now();
    writer.start();
    const auto generation = store.apply_ping("u1", watch("c1"), 1).generation;
    // The first batch begins after one interval and stalls in its collection.
    BOOST_TEST(eventually([&] { return writer.falling_behind(); }));
    BOOST_TEST((std::chrono::steady_clock::now() - started >= 2 * short_interval));

    // The held batch has the write: its waiter is released when that batch commits, not before.
    auto committed = durable(writer, generation);
    BOOST_TEST((committed.wait_for(3 * short_interval) == std::future_status::timeout));
    source.release();
    BOOST_REQUIRE((committed.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(committed.get());
    BOOST_TEST(eventually([&] { return !writer.falling_behind(); }));
}

// Right after a commit, the batch that made it began well within two intervals (of a second each
// here, so that a slow disk under a loaded test machine cannot make the test fail).
struct steady_fixture : lagging_fixture {
    steady_fixture() : lagging_fixture(std::chrono::seconds{1}) {}
};

BOOST_FIXTURE_TEST_CASE(a_persister_keeping_its_interval_is_not_falling_behind, steady_fixture) {
    source.release();
    writer.start();
    for (int i = 0; i < 20; ++i) {
        const auto generation = store.apply_ping("u1", watch("c" + std::to_string(i)), i).generation;
        auto committed = durable(writer, generation);
        BOOST_REQUIRE((committed.wait_for(10s) == std::future_status::ready));
        BOOST_TEST(committed.get());
        BOOST_TEST(!writer.falling_behind());
    }
}

BOOST_AUTO_TEST_SUITE_END()
