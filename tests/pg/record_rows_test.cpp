#include "store/postgres/record_rows.hpp"

#include "pg_fixture.hpp"
#include "sample_records.hpp"
#include "store/partition.hpp"
#include "store/postgres/schema.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;
using progressd::testing::fresh_database;
using progressd::testing::full_record;
using progressd::testing::postgres_installed;
using progressd::testing::record_shapes;
using progressd::testing::require_same;

namespace {

connection migrated_database() {
    auto conn = fresh_database();
    auto migrated = migrate(conn);
    BOOST_REQUIRE_MESSAGE(migrated.ok(), (migrated.ok() ? "" : migrated.error().message));
    return conn;
}

struct owned_row {
    std::string user_id;
    record_key key;
    progress_record record;
};

std::size_t write(connection& conn, const std::vector<owned_row>& rows) {
    std::vector<record_row> views;
    for (const auto& row : rows) views.push_back({row.user_id, row.key, row.record});
    auto txn = transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    auto written = upsert_records(txn.value(), views);
    BOOST_REQUIRE_MESSAGE(written.ok(), (written.ok() ? "" : written.error().message));
    BOOST_REQUIRE(txn->commit().ok());
    return written.value();
}

std::vector<loaded_record> load(connection& conn, std::string_view user_id) {
    auto loaded = load_user(conn, user_id);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
    return std::move(loaded).value();
}

std::string scalar(connection& conn, const std::string& sql) {
    auto result = conn.exec(sql);
    BOOST_REQUIRE_MESSAGE(result.ok(), sql << ": " << (result.ok() ? "" : result.error().message));
    return std::string(result->text(0, 0).value_or("NULL"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_record_rows, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(every_shape_round_trips_exactly) {
    auto conn = migrated_database();
    const auto shapes = record_shapes();
    std::vector<owned_row> rows;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        // Byte-wise order of the content ids is the order load_user returns.
        rows.push_back({"user-1", {i % 2 ? "" : "ctx:1", "content-" + std::to_string(10 + i)}, shapes[i]});
    }
    BOOST_TEST(write(conn, rows) == rows.size());

    const auto loaded = load(conn, "user-1");
    BOOST_REQUIRE(loaded.size() == rows.size());
    for (const auto& got : loaded) {
        const auto wanted = std::find_if(rows.begin(), rows.end(), [&](const owned_row& r) { return r.key == got.key; });
        BOOST_REQUIRE(wanted != rows.end());
        BOOST_TEST_CONTEXT(got.key.context_id << "/" << got.key.content_id) { require_same(got.record, wanted->record); }
    }
    for (std::size_t i = 1; i < loaded.size(); ++i) BOOST_TEST((loaded[i - 1].key < loaded[i].key));
}

// Ids are stored as given: text columns carry any UTF-8 exactly.
BOOST_AUTO_TEST_CASE(unicode_ids_round_trip) {
    auto conn = migrated_database();
    const std::vector<owned_row> rows{{"ユーザー✓", {"kontext-ä", "inhalt/ß"}, full_record(9)},
                                      {"ユーザー✓", {"", "😀"}, progress_record{}}};
    write(conn, rows);
    const auto loaded = load(conn, "ユーザー✓");
    BOOST_REQUIRE(loaded.size() == 2u);
    BOOST_TEST(loaded[0].key.content_id == "😀");
    BOOST_TEST(loaded[1].key.context_id == "kontext-ä");
    BOOST_TEST(loaded[1].key.content_id == "inhalt/ß");
    require_same(loaded[1].record, rows[0].record);
    BOOST_TEST(scalar(conn, "SELECT partition FROM records WHERE content_id = '😀'") ==
               std::to_string(partition_of("ユーザー✓")));
}

BOOST_AUTO_TEST_CASE(upsert_replaces_every_field) {
    auto conn = migrated_database();
    write(conn, {{"u", {"c", "x"}, full_record(1)}});
    auto changed = full_record(2);
    changed.status = progress_status::completed;
    changed.completed_at = 123;
    changed.hidden = true;
    write(conn, {{"u", {"c", "x"}, changed}});
    auto loaded = load(conn, "u");
    BOOST_REQUIRE(loaded.size() == 1u);
    require_same(loaded[0].record, changed);

    // From every optional part back to none: extra, mimetype, completed_at, position_ts go NULL.
    write(conn, {{"u", {"c", "x"}, progress_record{}}});
    loaded = load(conn, "u");
    BOOST_REQUIRE(loaded.size() == 1u);
    require_same(loaded[0].record, progress_record{});
    BOOST_TEST(scalar(conn, "SELECT (extra IS NULL AND mimetype IS NULL AND completed_at IS NULL AND "
                            "position_ts IS NULL)::text FROM records") == "true");
}

// The last change to a key in a batch wins, as in the LMDB persister.
BOOST_AUTO_TEST_CASE(the_last_change_to_a_key_in_a_batch_wins) {
    auto conn = migrated_database();
    std::vector<owned_row> rows;
    for (std::uint8_t i = 0; i < 5; ++i) rows.push_back({"u", {"", "same"}, full_record(i)});
    rows.push_back({"u", {"", "other"}, full_record(9)});
    BOOST_TEST(write(conn, rows) == 2u);
    const auto loaded = load(conn, "u");
    BOOST_REQUIRE(loaded.size() == 2u);
    require_same(loaded[1].record, rows[4].record);  // "same" sorts after "other"
}

// More rows than one statement carries: several statements, one transaction.
BOOST_AUTO_TEST_CASE(batches_larger_than_a_statement) {
    auto conn = migrated_database();
    std::vector<owned_row> rows;
    const std::size_t count = 2 * max_rows_per_statement + 345;
    for (std::size_t i = 0; i < count; ++i) {
        rows.push_back({"user-" + std::to_string(i % 7), {"", "c-" + std::to_string(i)}, full_record(static_cast<std::uint8_t>(i))});
    }
    BOOST_TEST(write(conn, rows) == count);
    BOOST_TEST(scalar(conn, "SELECT count(*) FROM records") == std::to_string(count));
    std::size_t loaded_total = 0;
    for (int u = 0; u < 7; ++u) {
        const auto loaded = load(conn, "user-" + std::to_string(u));
        loaded_total += loaded.size();
        for (const auto& got : loaded) {
            const auto i = std::stoul(got.key.content_id.substr(2));
            BOOST_REQUIRE(i % 7 == static_cast<std::size_t>(u));
            require_same(got.record, rows[i].record);
        }
    }
    BOOST_TEST(loaded_total == count);
}

// Exactly the user's records: not those of users whose ids share a prefix.
BOOST_AUTO_TEST_CASE(load_user_returns_only_that_user) {
    auto conn = migrated_database();
    write(conn, {{"u1", {"", "a"}, full_record(1)},
                 {"u10", {"", "a"}, full_record(2)},
                 {"u1x", {"", "b"}, full_record(3)},
                 {"u", {"", "c"}, full_record(4)},
                 {"u1", {"k", "b"}, full_record(5)}});
    const auto loaded = load(conn, "u1");
    BOOST_REQUIRE(loaded.size() == 2u);
    BOOST_TEST((loaded[0].key == record_key{"", "a"}));
    BOOST_TEST((loaded[1].key == record_key{"k", "b"}));
    require_same(loaded[0].record, full_record(1));
    BOOST_TEST(load(conn, "nobody").empty());
}

// The real columns answer a report in plain SQL, and partition is partition_of(user_id).
BOOST_AUTO_TEST_CASE(columns_serve_plain_sql) {
    auto conn = migrated_database();
    auto completed = full_record(1);
    completed.status = progress_status::completed;
    completed.completed_at = 1'700'000'000'000;
    write(conn, {{"alice", {"course-1", "lesson-1"}, completed}, {"bob", {"course-1", "lesson-1"}, full_record(2)}});
    BOOST_TEST(scalar(conn, "SELECT string_agg(user_id || ':' || status || ':' || mimetype || ':' || hidden, ',' "
                            "ORDER BY user_id) FROM records WHERE context_id = 'course-1'") ==
               "alice:2:video/mp4:false,bob:1:video/mp4:false");
    BOOST_TEST(scalar(conn, "SELECT to_timestamp(completed_at / 1000.0) AT TIME ZONE 'UTC' FROM records "
                            "WHERE completed_at IS NOT NULL") == "2023-11-14 22:13:20");
    BOOST_TEST(scalar(conn, "SELECT watched_percent FROM records WHERE user_id = 'bob'") == "4");
    BOOST_TEST(scalar(conn, "SELECT string_agg(partition::text, ',' ORDER BY user_id) FROM records") ==
               std::to_string(partition_of("alice")) + "," + std::to_string(partition_of("bob")));
}

// A row edited by hand into something progressd never writes fails the load, naming the key.
BOOST_AUTO_TEST_CASE(a_damaged_row_is_reported) {
    auto conn = migrated_database();
    write(conn, {{"u", {"", "a"}, full_record(1)}});
    BOOST_REQUIRE(conn.exec("UPDATE records SET extra = '\\x0109'::bytea").ok());
    auto loaded = load_user(conn, "u");
    BOOST_REQUIRE(!loaded.ok());
    BOOST_TEST(static_cast<int>(loaded.error().code) == static_cast<int>(pg_errc::malformed_row));
    BOOST_TEST(loaded.error().message.find("extra") != std::string::npos);
}

// Without a commit, nothing of a batch is visible.
BOOST_AUTO_TEST_CASE(an_uncommitted_batch_leaves_nothing) {
    auto conn = migrated_database();
    const std::string user = "u";
    const record_key key{"", "a"};
    const auto record = full_record(1);
    {
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        const std::vector<record_row> rows{{user, key, record}};
        BOOST_REQUIRE(upsert_records(txn.value(), rows).ok());
    }
    BOOST_TEST(load(conn, "u").empty());
}

BOOST_AUTO_TEST_SUITE_END()
