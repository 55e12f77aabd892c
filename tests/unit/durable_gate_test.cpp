#include "server/durable_gate.hpp"

#include "app/write_behind.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/progress_store.hpp"

#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace progressd;
using namespace progressd::store;
using namespace std::chrono_literals;

namespace {

using progressd::testing::make_ping;
using progressd::testing::temp_dir;

constexpr std::size_t map_size = std::size_t{1} << 20;
constexpr std::size_t small_map_size = std::size_t{128} << 10;  // a few dozen 4 KiB records overflow it
constexpr std::chrono::milliseconds never = 1h;  // only waiters (and stop) start a batch
const logger quiet{log_level::error};  // the map-cap test logs its failures on purpose

// The gate waits on the write_behind interface; here it is the LMDB persister itself, without
// the write-ahead log app::lmdb_backend adds in sync mode, so that every commit (and the failure
// of a full map) is the persister's LMDB transaction the gate's waiters see.
struct persister_behind final : progressd::app::write_behind {
    explicit persister_behind(persister& p) : writer(p) {}
    void when_durable(std::uint64_t generation, durable_callback callback) override {
        writer.when_durable(generation, std::move(callback));
    }
    std::uint64_t durable_generation() const override { return writer.durable_generation(); }
    void request_flush() override { writer.request_flush(); }
    bool healthy() const override { return writer.healthy(); }
    bool writable() const override { return writer.healthy(); }
    bool falling_behind() const override { return writer.falling_behind(); }
    progressd::app::write_behind_stats stats() const override { return {}; }
    const char* store_name() const override { return "LMDB"; }
    persister& writer;
};

// A sync-mode persister on a real LMDB in a temp dir, and the io_context a gate's thread runs.
struct gate_fixture {
    explicit gate_fixture(std::size_t map_cap = 0)
        : environment(open_data_dir(dir.str(), map_cap != 0 ? map_cap : map_size)),
          writer(store, environment, {durability_mode::sync, never, map_cap}, quiet),
          behind(writer),
          gate(io, behind) {
        writer.start();
    }
    ~gate_fixture() { writer.stop(); }

    std::uint64_t write(const std::string& user, const std::string& content, const std::string& details = {}) {
        return store.apply_ping(user, make_ping({.content = content, .details = details}), 1).generation;
    }
    // Runs the gate's thread until it has no work left (every waiter released); false on timeout.
    // `handlers`: how many handlers that ran, the gate's hand-overs from the persister among them.
    bool run_until_idle(std::size_t* handlers = nullptr) {
        const std::size_t ran = io.run_for(10s);
        if (handlers) *handlers = ran;
        return io.stopped();
    }

    temp_dir dir;
    lmdb_environment environment;
    progress_store store{8, {}};
    persister writer;
    persister_behind behind;
    boost::asio::io_context io;
    durable_gate gate;
};

// How a gate's waiters ended: each must be called exactly once.
struct outcomes {
    int committed = 0;
    int failed = 0;
    auto record() {
        return [this](bool ok) { ++(ok ? committed : failed); };
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_gate_suite)

BOOST_AUTO_TEST_CASE(waiters_of_several_commits_are_all_released_and_leave_no_work_behind) {
    gate_fixture fixture;
    outcomes seen;
    // 40 sessions: each waits for its write, then writes and waits again, three times, as a
    // session answering and reading its client's next ping would. Later rounds arrive while the
    // gate's registration for an earlier one is outstanding or just completed.
    std::vector<std::function<void(int)>> session(40);
    for (int s = 0; s < 40; ++s) {
        session[s] = [&, s](int round) {
            const auto generation = fixture.write("u" + std::to_string(s), "c" + std::to_string(round));
            fixture.gate.async_wait(generation, [&, s, round, generation](bool ok) {
                seen.record()(ok);
                BOOST_TEST_REQUIRE(fixture.writer.durable_generation() >= generation);
                if (round < 2) session[s](round + 1);
            });
        };
        session[s](0);
    }
    std::size_t handlers = 0;
    BOOST_REQUIRE(fixture.run_until_idle(&handlers));
    BOOST_TEST(seen.committed == 120);
    BOOST_TEST(seen.failed == 0);
    BOOST_TEST(fixture.writer.stats().records_written == 120u);
    // Hand-overs per batch, not per waiter (which would be 120): each releases every waiter its
    // batch covered, and the registration after it asks for the newest write waiting, so a round
    // of 40 takes a batch or two (a batch may also be empty: the one before it can collect writes
    // newer than its own generation).
    BOOST_TEST(fixture.writer.stats().flushes < 120u);
    BOOST_TEST(handlers < 30u);
}

BOOST_AUTO_TEST_CASE(waiters_arriving_after_the_registered_commit_get_a_commit_of_their_own) {
    gate_fixture fixture;
    outcomes seen;
    const auto first = fixture.write("u1", "c1");
    fixture.gate.async_wait(first, seen.record());
    // The commit for `first` is done, its callback posted but not yet run: the next waiters find
    // the gate's registration still outstanding and a generation it does not cover.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (fixture.writer.durable_generation() < first && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    BOOST_REQUIRE(fixture.writer.durable_generation() >= first);
    for (int i = 2; i <= 5; ++i) fixture.gate.async_wait(fixture.write("u" + std::to_string(i), "c1"), seen.record());
    BOOST_REQUIRE(fixture.run_until_idle());
    BOOST_TEST(seen.committed == 5);
    BOOST_TEST(fixture.writer.stats().records_written == 5u);
}

BOOST_AUTO_TEST_CASE(a_generation_already_durable_is_released_without_another_commit) {
    gate_fixture fixture;
    outcomes seen;
    const auto generation = fixture.write("u1", "c1");
    fixture.gate.async_wait(generation, seen.record());
    BOOST_REQUIRE(fixture.run_until_idle());
    BOOST_TEST(seen.committed == 1);
    const auto flushes = fixture.writer.stats().flushes;

    fixture.io.restart();
    fixture.gate.async_wait(generation, seen.record());
    BOOST_REQUIRE(fixture.run_until_idle());
    BOOST_TEST(seen.committed == 2);
    BOOST_TEST(fixture.writer.stats().flushes == flushes);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_fails_its_waiters_and_leaves_none_waiting) {
    gate_fixture fixture(small_map_size);
    outcomes seen;
    const std::string details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
    // All written before the first wait starts a batch: one batch, too large for the map.
    std::vector<std::uint64_t> generations;
    for (int i = 0; i < 100; ++i) generations.push_back(fixture.write("u1", "c" + std::to_string(i), details));
    for (const auto generation : generations) fixture.gate.async_wait(generation, seen.record());
    BOOST_REQUIRE(fixture.run_until_idle());
    BOOST_TEST(seen.failed == 100);
    BOOST_TEST(seen.committed == 0);
    BOOST_TEST(!fixture.writer.healthy());
}

BOOST_AUTO_TEST_SUITE_END()
