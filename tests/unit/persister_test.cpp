#include "store/persist/persister.hpp"

#include "store/catalog.hpp"
#include "store/codec/record_codec.hpp"
#include "store/persist/recovery.hpp"
#include "store/sharding.hpp"

#include "tests/unit/durable_future.hpp"
#include "tests/unit/eventually.hpp"
#include "tests/unit/lmdb_rows.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace progressd::store;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

constexpr std::size_t map_size = std::size_t{1} << 20;
// 32 pages of 4 KiB: small enough that a few dozen 4 KiB records overflow it.
constexpr std::size_t small_map_size = std::size_t{128} << 10;
// Long enough that only request_flush, a waiter or stop() can start a batch during a test.
constexpr std::chrono::milliseconds never = 1h;
// The map-cap tests log flush failures on purpose; those lines are expected.
const progressd::logger quiet{progressd::log_level::error};

using progressd::testing::durable;
using progressd::testing::eventually;
using progressd::testing::make_ping;
using progressd::testing::temp_dir;
using progressd::testing::watch;

// Records c0…c<count-1> of user u1 with ~4 KiB details (the limit; two LMDB pages each).
// Returns the last write's generation.
std::uint64_t write_large_records(progress_store& store, int count) {
    const std::string details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
    std::uint64_t last = 0;
    for (int i = 0; i < count; ++i) {
        const auto p = make_ping({.content = "c" + std::to_string(i), .details = details});
        last = store.apply_ping("u1", p, i).generation;
    }
    return last;
}

// The value LMDB holds for a record, read in its own short transaction.
std::optional<std::string> stored(const lmdb_environment& environment, std::string_view user,
                                  std::string_view content) {
    std::string key;
    encode_key(key, user, record_key{"", std::string(content)});
    return progressd::testing::read_row(environment, environment.records(), key);
}

// What LMDB held when a waiter was called back: its last committed transaction id and how many
// records it held, read on the persister thread inside the callback.
struct seen_at_release {
    bool committed = false;
    std::size_t last_txnid = 0;
    std::size_t records = 0;
};

std::size_t last_txnid(const lmdb_environment& environment) {
    MDB_envinfo info{};
    mdb_env_info(environment.get(), &info);
    return info.me_last_txnid;
}

std::size_t records_in_lmdb(const lmdb_environment& environment) {
    lmdb_transaction txn;
    if (environment.begin_read(txn) != MDB_SUCCESS) return 0;
    MDB_stat stat{};
    mdb_stat(txn.get(), environment.records(), &stat);
    return stat.ms_entries;
}

std::future<seen_at_release> durable_and_seen(persister& writer, const lmdb_environment& environment,
                                              std::uint64_t generation) {
    auto promise = std::make_shared<std::promise<seen_at_release>>();
    auto future = promise->get_future();
    writer.when_durable(generation, [promise, &environment](bool committed) {
        promise->set_value({committed, last_txnid(environment), records_in_lmdb(environment)});
    });
    return future;
}

// `records` records for each of `users` users u0, u1…; returns the last write's generation.
std::uint64_t write_users(progress_store& store, int users, int records) {
    std::uint64_t last = 0;
    for (int u = 0; u < users; ++u) {
        for (int r = 0; r < records; ++r) {
            last = store.apply_ping("u" + std::to_string(u), watch("c" + std::to_string(r)), r).generation;
        }
    }
    return last;
}

std::size_t recovered_records(const lmdb_environment& environment) {
    progress_store reloaded(8, {});
    const auto result = recover(environment, reloaded, quiet);
    BOOST_TEST(result.corrupt == 0u);
    return result.records;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(persister_suite)

BOOST_AUTO_TEST_CASE(request_flush_writes_dirty_records) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(8, {});
    persister writer(store, environment, {durability_mode::snapshot, never}, quiet);
    writer.start();
    for (auto user : {"u1", "u2", "u3"}) store.apply_ping(user, watch("c1"), 1);
    writer.request_flush();
    BOOST_REQUIRE(eventually([&] { return writer.stats().records_written == 3; }));
    BOOST_TEST(writer.stats().flushes == 1u);
    BOOST_TEST(store.stats().dirty == 0u);
    writer.stop();
    BOOST_TEST(recovered_records(environment) == 3u);
}

BOOST_AUTO_TEST_CASE(when_durable_calls_back_after_the_commit) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(8, {});
    persister writer(store, environment, {durability_mode::snapshot, never}, quiet);
    writer.start();
    const auto generation = store.apply_ping("u1", watch("c1"), 1).generation;
    auto committed = durable(writer, generation);
    // A waiter starts a batch by itself: the flush interval is an hour.
    BOOST_REQUIRE(committed.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(committed.get());
    const auto stats = writer.stats();
    BOOST_TEST(stats.flushes == 1u);
    BOOST_TEST(stats.durable_generation >= generation);
    BOOST_TEST(stored(environment, "u1", "c1").has_value());

    // Already durable: answered at once, on this thread.
    bool answered = false;
    writer.when_durable(generation, [&](bool ok) { answered = ok; });
    BOOST_TEST(answered);
    BOOST_TEST(writer.stats().flushes == 1u);  // and without another batch
}

BOOST_AUTO_TEST_CASE(sync_waiters_share_commits) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(16, {});
    persister writer(store, environment, {durability_mode::sync, never}, quiet);
    writer.start();

    // Each thread behaves like a sync client: write, wait for durability, write again.
    constexpr int threads = 8;
    constexpr int writes = 200;
    std::atomic<int> committed{0};
    std::atomic<int> failed{0};  // Boost.Test assertions are not thread-safe: count, check after
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
        clients.emplace_back([&, user = "user-" + std::to_string(t)] {
            for (int i = 0; i < writes; ++i) {
                auto done = durable(writer, store.apply_ping(user, watch("c" + std::to_string(i)), i).generation);
                if (done.wait_for(10s) == std::future_status::ready && done.get()) {
                    ++committed;
                } else {
                    ++failed;
                }
            }
        });
    }
    for (auto& client : clients) client.join();

    BOOST_TEST(committed.load() == threads * writes);
    BOOST_TEST(failed.load() == 0);
    const auto stats = writer.stats();
    BOOST_TEST_MESSAGE("group commit: " << threads * writes << " writes in " << stats.flushes << " commits");
    BOOST_TEST(stats.flushes < std::uint64_t(threads * writes));
    BOOST_TEST(stats.records_written == std::uint64_t(threads * writes));  // each record written once
    BOOST_TEST(writer.healthy());
}

BOOST_AUTO_TEST_CASE(erase_removes_the_record_from_lmdb) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(8, {});
    persister writer(store, environment, {durability_mode::sync, never}, quiet);
    writer.start();
    store.apply_ping("u1", watch("keep"), 1);
    auto written = durable(writer, store.apply_ping("u1", watch("drop"), 1).generation);
    BOOST_REQUIRE(written.wait_for(5s) == std::future_status::ready && written.get());
    BOOST_REQUIRE(stored(environment, "u1", "drop").has_value());

    const auto erased = store.erase("u1", "", "drop");
    BOOST_REQUIRE(erased);
    auto removed = durable(writer, *erased);
    BOOST_REQUIRE(removed.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(removed.get());
    BOOST_TEST(!stored(environment, "u1", "drop").has_value());
    BOOST_TEST(stored(environment, "u1", "keep").has_value());
}

BOOST_AUTO_TEST_CASE(stop_flushes_everything_dirty) {
    temp_dir dir;
    progress_store store(8, {});
    {
        auto environment = open_data_dir(dir.str(), map_size);
        persister writer(store, environment, {durability_mode::snapshot, never}, quiet);
        writer.start();
        for (int i = 0; i < 50; ++i) store.apply_ping("u" + std::to_string(i % 5), watch("c" + std::to_string(i)), i);
        BOOST_TEST(writer.stop());  // no flush requested and the interval never passes: stop alone writes
        BOOST_TEST(writer.stats().records_written == 50u);
    }
    auto reopened = open_data_dir(dir.str(), map_size);
    BOOST_TEST(recovered_records(reopened) == 50u);
}

BOOST_AUTO_TEST_CASE(a_full_map_grows) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), small_map_size);
    BOOST_REQUIRE(environment.map_size() == small_map_size);  // LMDB took the small size as given
    progress_store store(8, {});
    persister writer(store, environment, {durability_mode::sync, never}, quiet);
    writer.start();
    auto committed = durable(writer, write_large_records(store, 100));
    BOOST_REQUIRE(committed.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(committed.get());
    BOOST_TEST(writer.healthy());
    BOOST_TEST(writer.stats().map_size > small_map_size);
    BOOST_TEST(writer.stats().records_written == 100u);
    writer.stop();
    BOOST_TEST(recovered_records(environment) == 100u);
}

BOOST_AUTO_TEST_CASE(a_map_at_its_cap_fails_the_batch_but_keeps_the_records_in_memory) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), small_map_size);
    progress_store store(8, {});
    persister_options options{durability_mode::sync, never, small_map_size};
    persister writer(store, environment, options, quiet);
    writer.start();
    auto committed = durable(writer, write_large_records(store, 100));
    BOOST_REQUIRE(committed.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(!committed.get());
    BOOST_TEST(!writer.healthy());
    BOOST_TEST(writer.stats().failures >= 1u);
    BOOST_TEST(environment.map_size() == small_map_size);
    // Reads keep working from memory.
    BOOST_TEST(store.stats().records == 100u);
    BOOST_TEST(store.find("u1", "", "c0").has_value());
    BOOST_TEST(store.find("u1", "", "c99").has_value());
    BOOST_TEST(!writer.stop());  // it retries on stop, still cannot fit the batch, and says so
    // The batch failed as a whole: LMDB holds none of it.
    BOOST_TEST(recovered_records(environment) == 0u);
}

BOOST_AUTO_TEST_CASE(a_large_batch_commits_in_several_transactions_and_releases_waiters_after_the_last) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(8, {});
    persister_options options{durability_mode::sync, never};
    options.writes_per_transaction = 10;
    persister writer(store, environment, options, quiet);
    // 5 users x 7 records, in key order u0…u4: cut after 10 writes, each cut moved to the end of
    // its user (u1 ends at 14, u3 at 28), then 7 left: 3 transactions, where 10 a piece would be 4.
    const auto last = write_users(store, 5, 7);
    const auto before = last_txnid(environment);
    writer.start();
    auto done = durable_and_seen(writer, environment, last);
    BOOST_REQUIRE(done.wait_for(5s) == std::future_status::ready);
    const auto seen = done.get();
    BOOST_TEST(seen.committed);
    // Called back only once the whole batch is on disk, not after its first transaction.
    BOOST_TEST(seen.records == 35u);
    BOOST_TEST(seen.last_txnid - before == 3u);
    const auto stats = writer.stats();
    BOOST_TEST(stats.flushes == 1u);  // one batch, however many transactions
    BOOST_TEST(stats.records_written == 35u);
    BOOST_TEST(stats.durable_generation >= last);
    BOOST_TEST(writer.healthy());
}

BOOST_AUTO_TEST_CASE(a_large_batch_that_changes_an_attached_source_stays_one_transaction) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(8, {});
    catalog contents(store.generation_counter());
    persister_options options{durability_mode::sync, never};
    options.writes_per_transaction = 10;
    persister writer(store, environment, options, quiet);
    writer.attach(contents, environment.catalog());
    write_users(store, 5, 7);
    content_entry entry;
    entry.id = "course-1";
    entry.type = "course";
    entry.children = {"c0"};
    const auto last = contents.put(std::move(entry), 1).generation;
    const auto before = last_txnid(environment);
    writer.start();
    auto done = durable_and_seen(writer, environment, last);
    BOOST_REQUIRE(done.wait_for(5s) == std::future_status::ready);
    const auto seen = done.get();
    BOOST_TEST(seen.committed);
    BOOST_TEST(seen.records == 35u);
    BOOST_TEST(seen.last_txnid - before == 1u);  // records and catalog together, as an outbox event must be
}

BOOST_AUTO_TEST_CASE(a_full_map_grows_between_the_transactions_of_a_batch) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), small_map_size);
    progress_store store(8, {});
    persister_options options{durability_mode::sync, never};
    options.writes_per_transaction = 10;
    persister writer(store, environment, options, quiet);
    // 10 users x 10 records of ~4 KiB: ten transactions, the map far too small for them all.
    const std::string details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
    std::uint64_t last = 0;
    for (int u = 0; u < 10; ++u) {
        for (int r = 0; r < 10; ++r) {
            const auto p = make_ping({.content = "c" + std::to_string(r), .details = details});
            last = store.apply_ping("u" + std::to_string(u), p, r).generation;
        }
    }
    const auto before = last_txnid(environment);
    writer.start();
    auto done = durable_and_seen(writer, environment, last);
    BOOST_REQUIRE(done.wait_for(10s) == std::future_status::ready);
    const auto seen = done.get();
    BOOST_TEST(seen.committed);
    BOOST_TEST(seen.records == 100u);
    BOOST_TEST(seen.last_txnid - before == 10u);  // a growth redoes only the transaction that hit it
    BOOST_TEST(writer.healthy());
    BOOST_TEST(writer.stats().map_size > small_map_size);
    writer.stop();
    BOOST_TEST(recovered_records(environment) == 100u);
}

BOOST_AUTO_TEST_CASE(a_failure_in_a_later_transaction_keeps_the_earlier_ones_and_retries_the_rest) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), small_map_size);
    progress_store store(8, {});
    persister_options options{durability_mode::sync, never, small_map_size};
    options.writes_per_transaction = 4;
    persister writer(store, environment, options, quiet);
    // A batch is written in the order it is collected, shard by shard: four small records of
    // users in shards before the big user's (the first transaction), then the big user's 100
    // records of ~4 KiB, one user so one transaction, which cannot fit under the cap.
    std::string big = "z1";
    for (int i = 2; shard_index(big, 8) == 0; ++i) big = "z" + std::to_string(i);
    std::vector<std::string> small;
    for (int i = 0; small.size() < 4; ++i) {
        std::string user = "a" + std::to_string(i);
        if (shard_index(user, 8) < shard_index(big, 8)) small.push_back(std::move(user));
    }
    for (const auto& user : small) store.apply_ping(user, watch("c1"), 1);
    const std::string details = R"({"pad":")" + std::string(4000, 'x') + R"("})";
    std::uint64_t last = 0;
    for (int i = 0; i < 100; ++i) {
        const auto p = make_ping({.content = "c" + std::to_string(i), .details = details});
        last = store.apply_ping(big, p, i).generation;
    }
    writer.start();
    auto failed = durable(writer, last);
    BOOST_REQUIRE(failed.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(!failed.get());  // its generation is not whole on disk
    BOOST_TEST(!writer.healthy());
    BOOST_TEST(writer.stats().failures >= 1u);
    BOOST_TEST(writer.stats().records_written == 4u);
    BOOST_TEST(records_in_lmdb(environment) == 4u);  // the first transaction stayed committed

    // Erasing the big user supersedes the kept puts: the retry, sorted, writes only the deletes,
    // and succeeds.
    const auto erased = store.erase_user(big);
    BOOST_REQUIRE(erased.generation > last);
    auto retried = durable(writer, erased.generation);
    BOOST_REQUIRE(retried.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(retried.get());
    BOOST_TEST(writer.healthy());
    BOOST_TEST(writer.stats().flushes == 1u);
    BOOST_TEST(writer.stop());
    BOOST_TEST(recovered_records(environment) == 4u);
    for (const auto& user : small) BOOST_TEST(stored(environment, user, "c1").has_value());
}

// Everything that runs at once in the server, at once here: sync writers waiting on the
// persister, erasures and hides, catalog writes and lock-free catalog reads, readers and stats,
// flush requests. Built for ThreadSanitizer (the TSan CI build runs this suite); in any build it
// checks that, after stop(), LMDB holds exactly what memory holds.
BOOST_AUTO_TEST_CASE(concurrent_writers_readers_catalog_and_flushes_agree_with_lmdb) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), map_size);
    progress_store store(4, {});
    catalog contents(store.generation_counter());
    persister writer(store, environment, {durability_mode::sync, 5ms}, quiet);
    writer.attach(contents, environment.catalog());
    writer.start();

    constexpr int operations = 300;
    std::atomic<int> failed{0};
    std::atomic<bool> writing{true};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 random(t);
            for (int i = 0; i < operations; ++i) {
                const std::string user = "user-" + std::to_string(random() % 6);
                const std::string content = "c" + std::to_string(random() % 20);
                std::uint64_t generation = 0;
                switch (random() % 8) {
                    case 0: generation = store.erase(user, "", content).value_or(0); break;
                    case 1: generation = store.hide(user, content).value_or(0); break;
                    case 2: if (random() % 8 == 0) generation = store.erase_user(user).generation; break;
                    default: generation = store.apply_ping(user, watch(content, i + 1.0), i).generation; break;
                }
                if (generation == 0 || random() % 4 != 0) continue;
                auto done = durable(writer, generation);
                if (done.wait_for(10s) != std::future_status::ready || !done.get()) ++failed;
            }
        });
    }
    threads.emplace_back([&] {
        for (int i = 0; i < operations; ++i) {
            content_entry entry;
            entry.id = "course-" + std::to_string(i % 7);
            entry.type = "course";
            entry.children = {"c" + std::to_string(i % 20)};
            contents.put(std::move(entry), i);
            contents.learn("learned-" + std::to_string(i % 3), "c" + std::to_string(i % 20), i);
            if (i % 50 == 0) contents.erase("course-" + std::to_string(i % 7));
        }
    });
    std::size_t seen = 0;  // what the reader read, so nothing is optimised away
    threads.emplace_back([&] {
        catalog_cache cache;
        while (writing.load()) {
            seen += cache.get(contents).size() + store.stats().records + store.list_user("user-1", 0, 5).total;
            seen += store.continue_watching("user-2", 10).size() + store.find("user-3", "", "c1").has_value();
            seen += writer.stats().records_written + writer.healthy();
            writer.request_flush();
        }
    });
    for (std::size_t i = 0; i + 1 < threads.size(); ++i) threads[i].join();
    writing = false;
    threads.back().join();
    BOOST_TEST_MESSAGE("reader summed " << seen);

    BOOST_TEST(failed.load() == 0);
    BOOST_TEST(writer.stop());
    BOOST_TEST(writer.healthy());
    progress_store reloaded(4, {});
    BOOST_TEST(recover(environment, reloaded, quiet).corrupt == 0u);
    BOOST_TEST(reloaded.stats().records == store.stats().records);
    for (int u = 0; u < 6; ++u) {
        const std::string user = "user-" + std::to_string(u);
        const auto page = store.list_user(user, 0, 1000);
        BOOST_TEST(reloaded.list_user(user, 0, 1000).total == page.total);
        for (const auto& [key, record] : page.records) {
            const auto back = reloaded.find(user, key.context_id, key.content_id);
            BOOST_REQUIRE(back.has_value());
            std::string expected;
            std::string actual;
            encode_record(expected, record);
            encode_record(actual, *back);
            BOOST_TEST(actual == expected, user << "/" << key.content_id << " differs in LMDB");
        }
    }
    catalog reloaded_contents(reloaded.generation_counter());
    BOOST_TEST(recover_catalog(environment, reloaded_contents, quiet).corrupt == 0u);
    BOOST_TEST(reloaded_contents.snapshot()->size() == contents.snapshot()->size());
}

BOOST_AUTO_TEST_SUITE_END()
