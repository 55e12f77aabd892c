// The persister's batches as write-ahead log frames and LMDB's checkpoints of them
// (store/persist/persister.hpp), in snapshot mode, and the persister committing the log's frames
// itself when the log cannot take a frame: a real persister, a real LMDB, real log files.
#include "store/persist/persister.hpp"

#include "store/persist/recovery.hpp"
#include "store/persist/write_ahead_log.hpp"

#include "tests/unit/crash_image.hpp"
#include "tests/unit/durable_future.hpp"
#include "tests/unit/eventually.hpp"
#include "tests/unit/logged_persister.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <csignal>
#include <memory>
#include <string>

using namespace progressd::store;
using namespace std::chrono_literals;

namespace {

using progressd::testing::copy_crash_image;
using progressd::testing::durable;
using progressd::testing::eventually;
using progressd::testing::logged_persister;
using progressd::testing::logs_of;
using progressd::testing::temp_dir;
using progressd::testing::watch;

constexpr std::size_t map_size = std::size_t{4} << 20;
const progressd::logger quiet{progressd::log_level::error};

persister_options snapshot_every(std::chrono::milliseconds interval) {
    persister_options options;
    options.mode = durability_mode::snapshot;
    options.flush_interval = interval;
    options.checkpoint_interval = 1h;
    return options;
}

// Sync mode with a batch only when a write waits for one: each acknowledged write is a batch.
persister_options sync_batch_per_wait() {
    persister_options options;
    options.mode = durability_mode::sync;
    options.flush_interval = 1h;
    options.checkpoint_interval = 1h;
    return options;
}

// Waits (5 s at most) for the write of `generation` to be made durable; whether it was.
bool acknowledged(persister& writer, std::uint64_t generation) {
    auto future = durable(writer, generation);
    BOOST_REQUIRE(future.wait_for(5s) == std::future_status::ready);
    return future.get();
}

// The store a server would start with on a copy of `dir` taken now, from LMDB alone (its log
// left unread).
std::unique_ptr<progress_store> lmdb_alone(const temp_dir& dir) {
    temp_dir image;
    copy_crash_image(dir, image);
    auto environment = open_data_dir(image.str(), map_size);
    auto reloaded = std::make_unique<progress_store>(8, merge_rules{});
    recover(environment, *reloaded, quiet);
    return reloaded;
}

std::size_t records_in_lmdb_alone(const temp_dir& dir) { return lmdb_alone(dir)->stats().records; }

// The records a server would start with on a copy of `dir` taken now: LMDB, then the log replayed.
std::size_t records_after_a_crash(const temp_dir& dir) {
    temp_dir image;
    copy_crash_image(dir, image);
    auto environment = open_data_dir(image.str(), map_size);
    replay_write_ahead_log(logs_of(image), environment);
    progress_store reloaded(8, {});
    return recover(environment, reloaded, quiet).records;
}

// While it lives, no file of this process may grow past `bytes` (a write there fails with EFBIG
// instead of raising SIGXFSZ): a disk that has no room for the log.
class file_size_limit {
public:
    explicit file_size_limit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = saved_;
        limited.rlim_cur = bytes;
        BOOST_REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
    }
    ~file_size_limit() {
        setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }
    file_size_limit(const file_size_limit&) = delete;
    file_size_limit& operator=(const file_size_limit&) = delete;

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(persister_log_suite)

BOOST_AUTO_TEST_CASE(a_snapshot_batch_is_a_frame_and_lmdb_gets_it_in_a_checkpoint) {
    temp_dir dir;
    logged_persister setup(dir, snapshot_every(20ms), map_size);
    auto& [environment, log, store, writer] = setup;
    for (int i = 0; i < 5; ++i) store.apply_ping("u" + std::to_string(i), watch("c1", 30 + i), i);
    const auto generation = store.apply_ping("u9", watch("c2", 90), 9).generation;

    BOOST_TEST(eventually([&] { return writer.durable_generation() >= generation; }));
    BOOST_TEST(writer.stats().log_frames >= 1u);
    BOOST_TEST(writer.stats().checkpoints == 0u);
    BOOST_TEST(records_in_lmdb_alone(dir) == 0u);
    BOOST_TEST(records_after_a_crash(dir) == 6u);

    writer.request_flush();
    BOOST_TEST(eventually([&] { return writer.stats().checkpoints == 1u; }));
    BOOST_TEST(records_in_lmdb_alone(dir) == 6u);
    BOOST_TEST(writer.stop());
    BOOST_TEST(log.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_is_due_once_the_log_holds_checkpoint_log_bytes) {
    temp_dir dir;
    persister_options options = snapshot_every(5ms);
    options.checkpoint_log_bytes = 16384;
    logged_persister setup(dir, options, map_size);
    auto& [environment, log, store, writer] = setup;
    ping padded = watch("c1", 10);
    padded.details = R"({"pad":")" + std::string(2000, 'x') + R"("})";
    for (int i = 0; i < 8; ++i) {
        store.apply_ping("u" + std::to_string(i), padded, i);
        const auto frames = writer.stats().log_frames;
        BOOST_TEST(eventually([&] { return writer.stats().log_frames > frames; }));
    }
    // 8 frames of ~2 KiB each: the eighth passes 16 KiB, and the next batch hands them over.
    store.apply_ping("u-last", watch("c1", 10), 99);
    BOOST_TEST(eventually([&] { return writer.stats().checkpoints == 1u; }));
    BOOST_TEST(eventually([&] { return records_in_lmdb_alone(dir) == 9u; }));
    BOOST_TEST(writer.stop());
}

BOOST_AUTO_TEST_CASE(a_full_log_waits_for_the_running_checkpoint_and_hands_its_file_to_the_next) {
    temp_dir dir;
    persister_options options = snapshot_every(5ms);
    options.checkpoint_log_bytes = 4096;  // full at 8 KiB
    logged_persister setup(dir, options, map_size);
    auto& [environment, log, store, writer] = setup;
    ping padded = watch("c1", 10);
    padded.details = R"({"pad":")" + std::string(1000, 'x') + R"("})";
    int pings = 0;
    const auto write_and_wait_for_its_frame = [&] {
        const auto frames = writer.stats().log_frames;
        store.apply_ping("u" + std::to_string(pings), padded, pings);
        ++pings;
        return eventually([&] { return writer.stats().log_frames > frames; }, 1s);
    };
    {
        // LMDB has one writer at a time: while this transaction is open, a checkpoint cannot finish.
        lmdb_transaction blocker;
        BOOST_REQUIRE(environment.begin_write(blocker) == MDB_SUCCESS);
        // The first file goes to the checkpoint at 4 KiB; the log fills the other one to 8 KiB,
        // then takes no more frames.
        bool logged = true;
        while (logged && pings < 100) logged = write_and_wait_for_its_frame();
        BOOST_TEST(!logged);
        BOOST_TEST(pings > 8);
        BOOST_TEST(eventually([&] { return writer.falling_behind(); }));
        BOOST_TEST(writer.stats().checkpoints == 0u);
        // A reply to a write now waits for the batch before the write's own
        // (app::database::reply_waits_for). That batch must be the one waiting for the checkpoint,
        // not one already durable: the writes then wait too, and the checkpoint gets the CPU.
        const std::uint64_t generation = store.apply_ping("u" + std::to_string(pings++), padded, 0).generation;
        BOOST_TEST(writer.durable_generation() < generation - 1);
    }
    // The checkpoint finishes, the full file goes to the next one, and frames go on.
    BOOST_TEST(eventually([&] { return writer.stats().checkpoints >= 1u; }));
    BOOST_TEST(write_and_wait_for_its_frame());
    BOOST_TEST(eventually([&] { return !writer.falling_behind(); }));
    BOOST_TEST(writer.stats().flushes == writer.stats().log_frames);  // the persister committed nothing itself
    BOOST_TEST(records_after_a_crash(dir) == std::size_t(pings));
    BOOST_TEST(writer.stop());
}

BOOST_AUTO_TEST_CASE(when_the_log_takes_no_more_frames_the_persister_commits_every_logged_one_itself) {
    temp_dir dir;
    logged_persister setup(dir, sync_batch_per_wait(), map_size);
    auto& [environment, log, store, writer] = setup;
    const auto acknowledge = [&](const std::string& user, const ping& p, std::int64_t at) {
        BOOST_TEST(acknowledged(writer, store.apply_ping(user, p, at).generation));
    };

    // Twenty records, a frame each, then one record written again and again in frames of ~4 KiB:
    // the log fills while LMDB stays small (the limit below holds for its file too).
    constexpr int distinct = 20;
    for (int i = 0; i < distinct; ++i) acknowledge("u" + std::to_string(i), watch("c1", 10), i);
    int pings = distinct;
    {
        // The log's first mebibyte is allocated ahead of the frames; the frame that needs more fails.
        file_size_limit no_room(std::size_t{1} << 20);
        ping padded = watch("c1", 10);
        padded.details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
        while (writer.stats().records_written == 0 && pings < 1000) {
            padded.position_seconds = 10 + pings;
            acknowledge("u-big", padded, pings);
            ++pings;
        }
    }
    BOOST_TEST(writer.stats().flushes == std::uint64_t(pings));  // frames, and the persister's own commit
    BOOST_TEST(writer.stats().checkpoints == 0u);
    BOOST_TEST(writer.stats().log_frames + 1 == std::uint64_t(pings));  // all but the one the log refused
    // The persister wrote the refused batch with every frame before it, and marked them all written.
    BOOST_TEST(records_in_lmdb_alone(dir) == std::size_t(distinct) + 1);
    BOOST_TEST(log.bytes() == 0u);

    // The log takes frames again, from its start.
    acknowledge("u-after", watch("c1", 10), 2000);
    BOOST_TEST(writer.stats().log_frames == std::uint64_t(pings));
    BOOST_TEST(records_in_lmdb_alone(dir) == std::size_t(distinct) + 1);
    BOOST_TEST(records_after_a_crash(dir) == std::size_t(distinct) + 2);
    BOOST_TEST(writer.stop());
}

BOOST_AUTO_TEST_CASE(a_refused_frame_s_records_and_removals_reach_lmdb_in_the_persister_s_own_commit) {
    temp_dir dir;
    logged_persister setup(dir, sync_batch_per_wait(), map_size);
    auto& [environment, log, store, writer] = setup;

    BOOST_TEST(acknowledged(writer, store.apply_ping("kept", watch("c1", 10), 1).generation));
    BOOST_TEST(acknowledged(writer, store.apply_ping("removed", watch("c1", 10), 1).generation));
    // A frame of ~600 kB, within the log's first mebibyte (allocated ahead of the frames).
    ping big = watch("c1", 10);
    big.details = R"({"pad":")" + std::string(600000, 'x') + R"("})";
    BOOST_TEST(acknowledged(writer, store.apply_ping("big", big, 2).generation));
    BOOST_TEST(writer.stats().log_frames == 3u);
    BOOST_TEST(writer.stats().records_written == 0u);
    {
        file_size_limit no_room(std::size_t{1} << 20);
        // One batch (sync mode begins it when a write waits): a removal, a new record, and a
        // record too large for the rest of the mebibyte, which refuses the frame.
        BOOST_TEST(store.erase("removed", "", "c1").has_value());
        store.apply_ping("added", watch("c1", 10), 3);
        big.position_seconds = 20;
        BOOST_TEST(acknowledged(writer, store.apply_ping("big", big, 3).generation));
    }
    BOOST_TEST(writer.stats().log_frames == 3u);
    BOOST_TEST(writer.stats().records_written > 0u);
    BOOST_TEST(log.bytes() == 0u);
    BOOST_TEST(store.stats().dirty == 0u);

    // LMDB alone has the three frames and the refused batch: the removal and the newer values.
    const auto reloaded = lmdb_alone(dir);
    BOOST_TEST(reloaded->stats().records == 3u);
    BOOST_TEST(reloaded->find("kept", "", "c1").has_value());
    BOOST_TEST(reloaded->find("added", "", "c1").has_value());
    BOOST_TEST(!reloaded->find("removed", "", "c1").has_value());
    BOOST_TEST(reloaded->find("big", "", "c1").value_or(progress_record{}).position_seconds == 20);
    BOOST_TEST(writer.stop());
}

BOOST_AUTO_TEST_CASE(a_batch_too_large_for_a_frame_goes_to_lmdb_at_once) {
    temp_dir dir;
    persister_options options = snapshot_every(1h);
    options.max_frame_changes = 1000;
    logged_persister setup(dir, options, map_size);
    auto& [environment, log, store, writer] = setup;
    // A record and its removal in LMDB first, so the removal lands among the batch's records.
    store.apply_ping("removed", watch("c1", 10), 1);
    writer.request_flush();
    BOOST_TEST(eventually([&] { return writer.stats().checkpoints == 1u; }));

    constexpr std::size_t users = 2000;  // past the frame's limit, well into the batch
    BOOST_TEST(store.erase("removed", "", "c1").has_value());
    for (std::size_t i = 0; i < users; ++i) store.apply_ping("u" + std::to_string(i), watch("c1", 10), 2);
    writer.request_flush();
    BOOST_TEST(eventually([&] { return writer.stats().records_written >= users + 1; }));
    BOOST_TEST(writer.stats().log_frames == 1u);  // the first record's only
    BOOST_TEST(writer.stats().checkpoints == 1u);
    BOOST_TEST(log.bytes() == 0u);
    BOOST_TEST(store.stats().dirty == 0u);
    const auto reloaded = lmdb_alone(dir);
    BOOST_TEST(reloaded->stats().records == users);
    BOOST_TEST(!reloaded->find("removed", "", "c1").has_value());
    BOOST_TEST(writer.stop());
}

BOOST_AUTO_TEST_SUITE_END()
