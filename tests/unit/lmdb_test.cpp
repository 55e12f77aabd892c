#include "store/persist/lmdb.hpp"
#include "store/persist/recovery.hpp"

#include "store/persist/persister.hpp"
#include "store/codec/record_codec.hpp"

#include "tests/unit/lmdb_rows.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <optional>
#include <random>
#include <string>

using namespace progressd::store;

namespace {

namespace fs = std::filesystem;

constexpr std::size_t map_size = std::size_t{1} << 20;
// Warnings (one per corrupt record) are expected here; errors would still show.
const progressd::logger quiet{progressd::log_level::error};

using progressd::testing::make_ping;
using progressd::testing::temp_dir;
using progressd::testing::write_row;

// Three records across two users, one in a context, with strings and a replay window set.
void fill(progress_store& store) {
    ping first = make_ping({.content = "c1", .position = 30, .time_spent = 2});
    first.mimetype = "video/mp4";
    first.details = R"({"chapter":3})";
    first.session_id = "s1";
    first.seq = 5;
    first.ts = 1'700'000'000'000;
    store.apply_ping("u1", first, 1000);
    ping done = make_ping({.content = "c2", .position = 10, .context = "course-7", .time_spent = 2});
    done.event = ping_event::complete;
    store.apply_ping("u1", done, 2000);
    store.apply_ping("u2", make_ping({.content = "c1", .position = 99, .time_spent = 2}), 3000);
}

// What recovery must reproduce: the same user, key and every encoded byte of the record.
void check_same_record(const progress_store& expected, const progress_store& actual, std::string_view user,
                       std::string_view context, std::string_view content) {
    const auto want = expected.find(user, context, content);
    const auto got = actual.find(user, context, content);
    BOOST_REQUIRE(want);
    BOOST_REQUIRE(got);
    std::string want_bytes;
    std::string got_bytes;
    encode_record(want_bytes, *want);
    encode_record(got_bytes, *got);
    BOOST_TEST(got_bytes == want_bytes);
}

// Writes the store's dirty records: stop() flushes everything dirty.
void persist(const std::string& dir, progress_store& store) {
    auto environment = open_data_dir(dir, map_size);
    persister writer(store, environment, {}, quiet);
    writer.start();
    writer.stop();
    BOOST_REQUIRE(writer.healthy());
}

auto mentions(std::string_view text) {
    return [text](const std::exception& error) {
        return std::string_view(error.what()).find(text) != std::string_view::npos;
    };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lmdb_suite)

BOOST_AUTO_TEST_CASE(open_data_dir_creates_the_directory) {
    temp_dir dir;
    BOOST_REQUIRE(!fs::exists(dir.path()));
    auto environment = open_data_dir(dir.str(), map_size);
    BOOST_TEST(fs::is_directory(dir.path()));
    BOOST_TEST(fs::exists(dir.path() / "data.mdb"));
    BOOST_TEST(fs::exists(dir.path() / "progressd.lock"));
    BOOST_TEST(environment.map_size() == map_size);
}

BOOST_AUTO_TEST_CASE(a_data_dir_opens_only_once_at_a_time) {
    temp_dir dir;
    {
        auto first = open_data_dir(dir.str(), map_size);
        BOOST_CHECK_EXCEPTION(open_data_dir(dir.str(), map_size), std::runtime_error, mentions("in use"));
    }
    // Closing the first releases the lock.
    BOOST_CHECK_NO_THROW(open_data_dir(dir.str(), map_size));
}

BOOST_AUTO_TEST_CASE(a_moved_environment_takes_the_lock_with_it) {
    temp_dir dir;
    {
        std::optional<lmdb_environment> moved;
        {
            auto first = open_data_dir(dir.str(), map_size);
            moved.emplace(std::move(first));
        }  // the moved-from environment is gone; the lock must not have gone with it
        BOOST_CHECK_EXCEPTION(open_data_dir(dir.str(), map_size), std::runtime_error, mentions("in use"));
    }
    BOOST_CHECK_NO_THROW(open_data_dir(dir.str(), map_size));
}

BOOST_AUTO_TEST_CASE(recovery_reloads_what_the_persister_wrote) {
    temp_dir dir;
    progress_store original(8, {});
    fill(original);
    persist(dir.str(), original);

    auto environment = open_data_dir(dir.str(), map_size);
    progress_store reloaded(8, {});
    const auto result = recover(environment, reloaded, quiet);
    BOOST_TEST(result.records == 3u);
    BOOST_TEST(result.corrupt == 0u);
    BOOST_TEST(reloaded.stats().records == 3u);
    BOOST_TEST(reloaded.stats().users == 2u);
    BOOST_TEST(reloaded.stats().dirty == 0u);  // loaded records are already durable
    check_same_record(original, reloaded, "u1", "", "c1");
    check_same_record(original, reloaded, "u1", "course-7", "c2");
    check_same_record(original, reloaded, "u2", "", "c1");
}

BOOST_AUTO_TEST_CASE(recovery_skips_and_counts_corrupt_entries) {
    temp_dir dir;
    progress_store original(8, {});
    fill(original);
    persist(dir.str(), original);

    auto environment = open_data_dir(dir.str(), map_size);
    std::string key;
    encode_key(key, "u9", record_key{"", "c9"});
    write_row(environment, environment.records(), key, "garbage bytes, not a record");
    // A decodable value under a key whose user id is not a valid id.
    std::string value;
    encode_record(value, *original.find("u1", "", "c1"));
    encode_key(key, "bad user", record_key{"", "c1"});
    write_row(environment, environment.records(), key, value);

    progress_store reloaded(8, {});
    const auto result = recover(environment, reloaded, quiet);
    BOOST_TEST(result.records == 3u);
    BOOST_TEST(result.corrupt == 2u);
    BOOST_TEST(!reloaded.find("u9", "", "c9"));
    BOOST_TEST(!reloaded.find("bad user", "", "c1"));
    check_same_record(original, reloaded, "u1", "", "c1");
    check_same_record(original, reloaded, "u2", "", "c1");
}

BOOST_AUTO_TEST_CASE(a_data_dir_of_another_format_version_is_refused) {
    temp_dir dir;
    {
        auto environment = open_data_dir(dir.str(), map_size);
        write_row(environment, environment.meta(), "format_version", "999");
    }
    BOOST_CHECK_EXCEPTION(open_data_dir(dir.str(), map_size), std::runtime_error, mentions("format version 999"));
    // The refusal released the lock: a second attempt fails for the same reason, not "in use".
    BOOST_CHECK_EXCEPTION(open_data_dir(dir.str(), map_size), std::runtime_error, mentions("format version 999"));
}

BOOST_AUTO_TEST_SUITE_END()
