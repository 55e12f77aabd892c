// Which commit the reply to a write waits for (app::database::reply_waits_for): nothing in
// snapshot durability while the persister keeps up, the batch being written while it falls
// behind, the write's own batch in sync durability. A real database over a fresh data dir whose
// persister is never started, so that it falls behind by itself after two intervals.
#include "app/database.hpp"

#include "tests/unit/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <thread>

using namespace progressd;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds interval{50};

struct database_fixture {
    explicit database_fixture(store::durability_mode durability)
        : environment(open()),
          data(environment, {.data_dir = dir.str(), .shards = 4, .durability = durability, .flush_interval = interval},
               quiet) {}

    store::lmdb_environment open() {
        std::filesystem::create_directories(dir.path());
        return store::open_data_dir(dir.str(), std::size_t{1} << 20);
    }

    testing::temp_dir dir;
    logger quiet{log_level::error};
    store::lmdb_environment environment;
    app::database data;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(reply_waits_for_suite)

BOOST_AUTO_TEST_CASE(snapshot_replies_wait_only_while_the_persister_is_falling_behind) {
    database_fixture fixture(store::durability_mode::snapshot);
    BOOST_TEST(fixture.data.reply_waits_for(7) == 0u);
    // No batch for more than two intervals: the persister is behind its writes.
    std::this_thread::sleep_for(3 * interval);
    BOOST_TEST(fixture.data.persister().falling_behind());
    BOOST_TEST(fixture.data.reply_waits_for(7) == 6u);  // the batch being written, not its own
    BOOST_TEST(fixture.data.reply_waits_for(0) == 0u);  // a write that changed nothing
}

BOOST_AUTO_TEST_CASE(sync_replies_wait_for_their_own_batch) {
    database_fixture fixture(store::durability_mode::sync);
    BOOST_TEST(fixture.data.reply_waits_for(7) == 7u);
    std::this_thread::sleep_for(3 * interval);
    BOOST_TEST(!fixture.data.persister().falling_behind());  // with the log, writes wait anyway
    BOOST_TEST(fixture.data.reply_waits_for(7) == 7u);
    BOOST_TEST(fixture.data.reply_waits_for(0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
