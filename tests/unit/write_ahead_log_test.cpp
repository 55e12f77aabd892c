#include "store/persist/write_ahead_log.hpp"

#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"

#include "tests/unit/crash_image.hpp"
#include "tests/unit/durable_future.hpp"
#include "tests/unit/lmdb_rows.hpp"
#include "tests/unit/logged_persister.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

using namespace progressd::store;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;
using progressd::testing::copy_crash_image;
using progressd::testing::durable;
using progressd::testing::logs_of;
using progressd::testing::read_row;
using progressd::testing::write_row;
using progressd::testing::temp_dir;
using progressd::testing::watch;

constexpr std::size_t map_size = std::size_t{1} << 20;
constexpr std::chrono::milliseconds never = 1h;
const progressd::logger quiet{progressd::log_level::error};

// One frame of one change; returns its write_frame status.
int write_one(write_ahead_log& log, MDB_dbi database, std::string_view key, std::optional<std::string> value) {
    log.add(database, key, value);
    return log.write_frame();
}

// The file frames go to first.
std::string wal_of(const temp_dir& dir) { return logs_of(dir)[0]; }

// A checkpoint that wrote `key` = `value` and covers every frame the log has written.
void mark_checkpoint(lmdb_environment& environment, const write_ahead_log& log, std::string_view key,
                     std::string_view value, std::optional<std::uint64_t> covered = std::nullopt) {
    lmdb_transaction txn;
    BOOST_REQUIRE(environment.begin_write(txn) == MDB_SUCCESS);
    MDB_val k = as_val(key);
    MDB_val v = as_val(value);
    BOOST_REQUIRE(mdb_put(txn.get(), environment.records(), &k, &v, 0) == MDB_SUCCESS);
    BOOST_REQUIRE(log.put_checkpoint(txn.get(), covered.value_or(log.last_sequence())) == MDB_SUCCESS);
    BOOST_REQUIRE(txn.commit() == MDB_SUCCESS);
}

// Replays `dir`'s log: it applies `frames` frames, ends at `last`, and leaves `key` = `value`.
void check_replay(const temp_dir& dir, lmdb_environment& environment, std::size_t frames, std::uint64_t last,
                  std::string_view key, std::string_view value) {
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == frames);
    BOOST_TEST(replayed.last_sequence == last);
    BOOST_TEST(read_row(environment, environment.records(), key).value_or("<none>") == value);
}

// A sync-mode persister with a write-ahead log over the data dir `dir`, started.
struct logged_sync_persister : progressd::testing::logged_persister {
    explicit logged_sync_persister(const temp_dir& dir, std::size_t map = map_size, std::size_t max_map = 0)
        : logged_persister(dir, {durability_mode::sync, never, max_map}, map) {}
};

// A sync write of a record with ~4 KiB of details (an LMDB overflow page of its own), waited
// for until the log acknowledged it.
void write_padded(persister& writer, progress_store& store, const std::string& user, const std::string& content,
                  double position, std::int64_t at) {
    static const std::string details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
    ping p = watch(content, position);
    p.details = details;
    auto logged = durable(writer, store.apply_ping(user, p, at).generation);
    BOOST_REQUIRE(logged.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(logged.get());
}

// Asks for a checkpoint into a map too small for it and waits until the failure shows.
void checkpoint_into_a_full_map(persister& writer) {
    writer.request_flush();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (writer.healthy() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    BOOST_TEST(!writer.healthy());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(write_ahead_log_suite)

BOOST_AUTO_TEST_CASE(frames_are_replayed_in_order_and_the_log_emptied) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    write_row(environment, environment.records(), "gone", "old");
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        log.add(environment.records(), "k1", std::string("v1"));
        log.add(environment.catalog(), "course", std::string("entry"));
        log.add(environment.records(), "gone", std::nullopt);
        BOOST_TEST(log.write_frame() == 0);
        BOOST_TEST(write_one(log, environment.records(), "k1", std::string("v2")) == 0);
        BOOST_TEST(log.last_sequence() == 2u);
    }
    BOOST_TEST(!read_row(environment, environment.records(), "k1").has_value());  // only in the log so far

    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 2u);
    BOOST_TEST(replayed.changes == 4u);
    BOOST_TEST(replayed.last_sequence == 2u);
    BOOST_TEST(read_row(environment, environment.records(), "k1").value_or("<none>") == "v2");
    BOOST_TEST(read_row(environment, environment.catalog(), "course").value_or("<none>") == "entry");
    BOOST_TEST(!read_row(environment, environment.records(), "gone").has_value());
    BOOST_TEST(fs::file_size(wal_of(dir)) == 0u);

    // Again: nothing left to apply, and the sequence goes on from where it was.
    const auto again = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(again.frames == 0u);
    BOOST_TEST(again.last_sequence == 2u);
}

BOOST_AUTO_TEST_CASE(a_log_of_many_transactions_replays_each_keys_last_change_and_grows_the_map) {
    // Replay writes in transactions of 4 096 changes: 30 000 here, in random key order, with keys
    // changed again in later frames and some erased, over a map of 1 MiB that must grow on the way
    // (the transactions committed before a full map stay, the rest follow).
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    std::map<std::string, std::optional<std::string>> expected;
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        std::mt19937 random(7);
        for (int frame = 0; frame < 10; ++frame) {
            for (int i = 0; i < 3000; ++i) {
                const std::string key = "user-" + std::to_string(random() % 12000);
                std::optional<std::string> value;
                if (random() % 10 != 0) value = key + "@" + std::to_string(frame) + "." + std::to_string(i) + std::string(100, 'x');
                log.add(environment.records(), key, value);
                expected[key] = value;
            }
            BOOST_REQUIRE(log.write_frame() == 0);
        }
    }
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 10u);
    BOOST_TEST(replayed.changes == 30000u);
    BOOST_TEST(environment.map_size() > map_size);
    std::size_t wrong = 0;
    for (const auto& [key, value] : expected) wrong += read_row(environment, environment.records(), key) != value;
    BOOST_TEST(wrong == 0u);
    BOOST_TEST(replay_write_ahead_log(logs_of(dir), environment).frames == 0u);  // marked as held
}

BOOST_AUTO_TEST_CASE(no_log_file_is_nothing_to_replay) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 0u);
    BOOST_TEST(replayed.last_sequence == 0u);
    BOOST_TEST(!fs::exists(wal_of(dir)));
}

BOOST_AUTO_TEST_CASE(frames_a_checkpoint_holds_are_not_applied_again) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    write_ahead_log log(logs_of(dir), environment, 0);
    BOOST_TEST(write_one(log, environment.records(), "k", std::string("logged")) == 0);
    mark_checkpoint(environment, log, "k", "checkpointed");  // a newer value, and frame 1 held
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 0u);
    BOOST_TEST(replayed.last_sequence == 1u);
    BOOST_TEST(read_row(environment, environment.records(), "k").value_or("<none>") == "checkpointed");
}

BOOST_AUTO_TEST_CASE(a_torn_or_damaged_frame_ends_the_log) {
    for (const bool damage_instead_of_tear : {false, true}) {
        temp_dir dir;
        auto environment = open_data_dir(dir.str(), map_size);
        std::uint64_t end = 0;  // of the second frame
        {
            write_ahead_log log(logs_of(dir), environment, 0);
            BOOST_TEST(write_one(log, environment.records(), "first", std::string("1")) == 0);
            BOOST_TEST(write_one(log, environment.records(), "second", std::string("2")) == 0);
            end = log.bytes();
        }
        std::fstream file(wal_of(dir), std::ios::in | std::ios::out | std::ios::binary);
        if (damage_instead_of_tear) {
            file.seekp(static_cast<std::streamoff>(end - 1));
            file.put('X');  // the second frame's last value byte
        } else {
            // A crash in the middle of the second frame's write: its tail is still the zeros the
            // file was extended with.
            file.seekp(static_cast<std::streamoff>(end - 3));
            file.write("\0\0\0", 3);
        }
        file.close();
        const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
        BOOST_TEST(replayed.frames == 1u);
        BOOST_TEST(read_row(environment, environment.records(), "first").has_value());
        BOOST_TEST(!read_row(environment, environment.records(), "second").has_value());
    }
}

BOOST_AUTO_TEST_CASE(the_file_is_extended_ahead_of_the_frames_and_frames_across_an_extension_replay) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    const std::string large(600'000, 'v');  // two frames fill the first mebibyte, the third crosses it
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        BOOST_TEST(write_one(log, environment.records(), "k0", large + "0") == 0);
        BOOST_TEST(fs::file_size(wal_of(dir)) == std::uintmax_t{1} << 20);  // zeros after the frame
        BOOST_TEST(log.bytes() < std::uint64_t{1} << 20);
        BOOST_TEST(write_one(log, environment.records(), "k1", large + "1") == 0);
        BOOST_TEST(write_one(log, environment.records(), "k2", large + "2") == 0);
        BOOST_TEST(fs::file_size(wal_of(dir)) == std::uintmax_t{2} << 20);
        BOOST_TEST(log.bytes() > std::uint64_t{1} << 20);
    }
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 3u);
    for (const char* key : {"k0", "k1", "k2"}) {
        BOOST_TEST(read_row(environment, environment.records(), key).value_or("<none>") == large + key[1]);
    }
}

BOOST_AUTO_TEST_CASE(a_large_frame_goes_to_the_file_as_it_is_built_and_counts_only_once_its_header_follows) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), std::size_t{8} << 20);
    write_ahead_log log(logs_of(dir), environment, 0);
    BOOST_TEST(write_one(log, environment.records(), "first", std::string("1")) == 0);
    const std::uint64_t second_at = log.bytes();
    constexpr int changes = 4000;  // ~0.9 MB of payload: several pieces
    const auto key_of = [](int i) { return "key-" + std::to_string(i); };
    const auto value_of = [](int i) { return std::string(200, static_cast<char>('a' + i % 26)); };
    for (int i = 0; i < changes; ++i) {
        log.add(environment.records(), key_of(i), value_of(i));
        if (i % 500 == 499) log.write_pieces();  // as the persister does between shards
    }

    // A crash now: the pieces written so far are no frame without the header that comes last.
    std::ifstream file(wal_of(dir), std::ios::binary);
    std::string head(32, '\0');
    file.seekg(static_cast<std::streamoff>(second_at));
    file.read(head.data(), static_cast<std::streamsize>(head.size()));
    BOOST_TEST(head.substr(0, 24) == std::string(24, '\0'));  // no header yet
    BOOST_TEST(head[25] == 1);                                     // the first change's "has value"
    BOOST_TEST(peek_write_ahead_log(logs_of(dir), 0).frames == 1u);

    BOOST_TEST(log.write_frame() == 0);
    const auto peeked = peek_write_ahead_log(logs_of(dir), 0);
    BOOST_TEST(peeked.frames == 2u);
    BOOST_TEST(peeked.changes == changes + 1u);
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 2u);
    for (const int i : {0, 1, changes / 2, changes - 1}) {
        BOOST_TEST(read_row(environment, environment.records(), key_of(i)).value_or("<none>") == value_of(i));
    }
}

BOOST_AUTO_TEST_CASE(an_abandoned_frame_leaves_the_log_as_it_was_and_the_next_frame_follows_the_last_one) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), std::size_t{8} << 20);
    write_ahead_log log(logs_of(dir), environment, 0);
    BOOST_TEST(write_one(log, environment.records(), "first", std::string("1")) == 0);
    const std::uint64_t bytes = log.bytes();
    const std::uint64_t sequence = log.last_sequence();
    // Large enough that pieces of it reach the file before it is dropped.
    for (int i = 0; i < 4000; ++i) {
        log.add(environment.records(), "dropped-" + std::to_string(i), std::string(200, 'x'));
        log.write_pieces();
    }
    log.abandon_frame();
    BOOST_TEST(log.bytes() == bytes);
    BOOST_TEST(log.last_sequence() == sequence);
    BOOST_TEST(peek_write_ahead_log(logs_of(dir), 0).frames == 1u);

    BOOST_TEST(write_one(log, environment.records(), "second", std::string("2")) == 0);
    BOOST_TEST(log.last_sequence() == sequence + 1);
    const auto peeked = peek_write_ahead_log(logs_of(dir), 0);
    BOOST_TEST(peeked.frames == 2u);
    BOOST_TEST(peeked.changes == 2u);  // nothing of the dropped frame
    BOOST_TEST(replay_write_ahead_log(logs_of(dir), environment).frames == 2u);
    BOOST_TEST(read_row(environment, environment.records(), "second").value_or("<none>") == "2");
    BOOST_TEST(!read_row(environment, environment.records(), "dropped-0").has_value());
}

BOOST_AUTO_TEST_CASE(frames_left_behind_a_rewind_are_not_replayed) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("a")) == 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("b")) == 0);
        mark_checkpoint(environment, log, "k", "b");
        // Frame 3 overwrites frame 1 exactly, so frame 2 follows it whole and intact: only its
        // number (2 after 3) tells that it is older.
        log.rewind();
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("c")) == 0);
    }
    check_replay(dir, environment, 1, 3, "k", "c");
}

BOOST_AUTO_TEST_CASE(the_two_files_replay_as_one_log_in_number_order) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("1")) == 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("2")) == 0);
        // A checkpoint of frames 1-2 starts: later frames go to the other file.
        log.switch_files();
        BOOST_TEST(log.bytes() == 0u);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("3")) == 0);
        BOOST_TEST(write_one(log, environment.records(), "other", std::string("4")) == 0);
    }
    BOOST_TEST(fs::file_size(logs_of(dir)[1]) > 0u);
    // The checkpoint never committed: all four frames, the second file's after the first's.
    check_replay(dir, environment, 4, 4, "k", "3");
    BOOST_TEST(read_row(environment, environment.records(), "other").value_or("<none>") == "4");
    for (const auto& path : logs_of(dir)) BOOST_TEST(fs::file_size(path) == 0u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_written_while_the_other_file_fills_leaves_only_that_file_to_replay) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("1")) == 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("2")) == 0);
        const std::uint64_t covered = log.last_sequence();
        log.switch_files();
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("3")) == 0);
        // The checkpoint of frames 1-2 commits while frame 3 is already in the other file.
        mark_checkpoint(environment, log, "k", "2", covered);
    }
    check_replay(dir, environment, 1, 3, "k", "3");
}

BOOST_AUTO_TEST_CASE(a_missing_number_ends_the_log) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    {
        write_ahead_log log(logs_of(dir), environment, 0);
        BOOST_TEST(write_one(log, environment.records(), "k", std::string("1")) == 0);
        log.switch_files();
        BOOST_TEST(write_one(log, environment.records(), "lost", std::string("2")) == 0);
        BOOST_TEST(write_one(log, environment.records(), "after", std::string("3")) == 0);
    }
    // Frame 2 damaged: frame 3 must not be applied without it.
    {
        std::fstream file(logs_of(dir)[1], std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(0);
        file.put('X');
    }
    check_replay(dir, environment, 1, 1, "k", "1");
    BOOST_TEST(!read_row(environment, environment.records(), "after").has_value());
}

BOOST_AUTO_TEST_CASE(a_sync_batch_is_durable_in_the_log_before_lmdb_has_it) {
    temp_dir dir;
    temp_dir crashed;
    {
        auto environment = open_data_dir(dir.str(), map_size);
        write_ahead_log log(logs_of(dir), environment, replay_write_ahead_log(logs_of(dir), environment).last_sequence);
        progress_store store(8, {});
        persister writer(store, environment, {durability_mode::sync, never}, quiet);
        writer.use_write_ahead_log(log);
        writer.start();

        auto first = durable(writer, store.apply_ping("u1", watch("c1", 30), 1).generation);
        BOOST_REQUIRE(first.wait_for(5s) == std::future_status::ready);
        BOOST_TEST(first.get());
        auto second = durable(writer, store.apply_ping("u2", watch("c1", 40), 2).generation);
        BOOST_REQUIRE(second.wait_for(5s) == std::future_status::ready);
        BOOST_TEST(second.get());
        BOOST_TEST(writer.stats().log_frames == 2u);
        BOOST_TEST(writer.stats().flushes == 2u);
        BOOST_TEST(writer.stats().records_written == 0u);  // no LMDB commit yet

        copy_crash_image(dir, crashed);
        writer.stop();  // the persister's own commit on stop
        BOOST_TEST(writer.stats().records_written == 2u);
    }

    // The crash image: LMDB alone has neither write; the log brings both back.
    {
        auto environment = open_data_dir(crashed.str(), map_size);
        const auto replayed = replay_write_ahead_log(logs_of(crashed), environment);
        BOOST_TEST(replayed.frames == 2u);
        progress_store reloaded(8, {});
        BOOST_TEST(recover(environment, reloaded, quiet).records == 2u);
        const auto record = reloaded.find("u2", "", "c1");
        BOOST_REQUIRE(record.has_value());
        BOOST_TEST(record->position_seconds == 40);
    }
    // After a clean stop the checkpoint holds everything: nothing to replay.
    {
        auto environment = open_data_dir(dir.str(), map_size);
        BOOST_TEST(replay_write_ahead_log(logs_of(dir), environment).frames == 0u);
        progress_store reloaded(8, {});
        BOOST_TEST(recover(environment, reloaded, quiet).records == 2u);
    }
}

BOOST_AUTO_TEST_CASE(request_flush_checkpoints_the_log_into_lmdb) {
    temp_dir dir;
    logged_sync_persister setup(dir);
    auto& [environment, log, store, writer] = setup;
    auto done = durable(writer, store.apply_ping("u1", watch("c1", 30), 1).generation);
    BOOST_REQUIRE(done.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(log.bytes() > 0u);

    writer.request_flush();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (writer.stats().checkpoints == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    BOOST_TEST(writer.stats().checkpoints == 1u);
    BOOST_TEST(writer.stats().records_written == 1u);
    progress_store reloaded(8, {});
    BOOST_TEST(recover(environment, reloaded, quiet).records == 1u);
    writer.stop();
    BOOST_TEST(log.bytes() == 0u);  // the checkpoint covered frame 1 and rewound the log
}

BOOST_AUTO_TEST_CASE(sync_writes_are_logged_while_a_checkpoint_waits_for_lmdb) {
    temp_dir dir;
    logged_sync_persister setup(dir);
    auto& [environment, log, store, writer] = setup;
    auto first = durable(writer, store.apply_ping("u1", watch("c1", 10), 1).generation);
    BOOST_REQUIRE(first.wait_for(5s) == std::future_status::ready);

    {
        // LMDB has one writer at a time: while this transaction is open, the checkpoint cannot
        // write, as if it were taking very long.
        lmdb_transaction blocker;
        BOOST_REQUIRE(environment.begin_write(blocker) == MDB_SUCCESS);
        writer.request_flush();
        for (int i = 0; i < 3; ++i) {
            auto logged = durable(writer, store.apply_ping("u2", watch("c" + std::to_string(i), 20), 2 + i).generation);
            BOOST_REQUIRE(logged.wait_for(5s) == std::future_status::ready);
            BOOST_TEST(logged.get());
        }
        BOOST_TEST(writer.stats().checkpoints == 0u);  // the checkpoint is still waiting
        BOOST_TEST(writer.stats().log_frames == 4u);
        BOOST_TEST(fs::file_size(logs_of(dir)[1]) > 0u);  // the frames after it went to the other file
    }

    BOOST_TEST(writer.stop());
    BOOST_TEST(writer.stats().checkpoints == 1u);  // the checkpoint, then the rest on stop
    BOOST_TEST(writer.stats().records_written == 4u);
    progress_store reloaded(8, {});
    BOOST_TEST(recover(environment, reloaded, quiet).records == 4u);
    BOOST_TEST(replay_write_ahead_log(logs_of(dir), environment).frames == 0u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_that_fails_part_way_loses_nothing_the_log_acknowledged) {
    // Transactions of 2 changes, each user's 2 records together: the first ones commit, then the
    // capped map is full. What is left goes back to the persister, which cannot commit it either;
    // with room again, LMDB and the log hold every acknowledged value, the last of each record.
    temp_dir dir;
    constexpr std::size_t small_map = std::size_t{128} << 10;
    {
        persister_options options{durability_mode::sync, never, small_map};
        options.writes_per_transaction = 2;
        progressd::testing::logged_persister setup(dir, options, small_map);
        auto& writer = setup.writer;
        for (int round = 0; round < 2; ++round) {
            for (int user = 0; user < 20; ++user) {
                for (int content = 0; content < 2; ++content) {
                    write_padded(writer, setup.store, "u" + std::to_string(user), "c" + std::to_string(content),
                                 10 + round * 100 + user, round);
                }
            }
        }
        checkpoint_into_a_full_map(writer);
        BOOST_TEST(writer.stats().records_written > 0u);  // some transactions committed first
        BOOST_TEST(!writer.stop());
    }
    auto environment = open_data_dir(dir.str(), map_size);
    replay_write_ahead_log(logs_of(dir), environment);
    progress_store reloaded(8, {});
    BOOST_TEST(recover(environment, reloaded, quiet).records == 40u);
    for (int user = 0; user < 20; ++user) {
        for (int content = 0; content < 2; ++content) {
            const auto record = reloaded.find("u" + std::to_string(user), "", "c" + std::to_string(content));
            BOOST_REQUIRE(record.has_value());
            BOOST_TEST(record->position_seconds == 110 + user);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_that_fails_loses_nothing_the_log_acknowledged) {
    temp_dir dir;
    // 32 pages of 4 KiB, capped: the checkpoint of 100 records of ~4 KiB cannot fit.
    constexpr std::size_t small_map = std::size_t{128} << 10;
    {
        logged_sync_persister setup(dir, small_map, small_map);
        auto& [environment, log, store, writer] = setup;
        for (int i = 0; i < 100; ++i) write_padded(writer, store, "u1", "c" + std::to_string(i), 10 + i, i);
        checkpoint_into_a_full_map(writer);
        BOOST_TEST(writer.stats().failures >= 1u);
        BOOST_TEST(!writer.stop());  // the map is still full on stop
    }
    // With room again, the log brings back every acknowledged record.
    auto environment = open_data_dir(dir.str(), map_size);
    const auto replayed = replay_write_ahead_log(logs_of(dir), environment);
    BOOST_TEST(replayed.frames == 100u);
    progress_store reloaded(8, {});
    BOOST_TEST(recover(environment, reloaded, quiet).records == 100u);
    BOOST_TEST(reloaded.find("u1", "", "c99")->position_seconds == 109);
}

BOOST_AUTO_TEST_SUITE_END()
