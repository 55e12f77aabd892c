#include "store/postgres/shared_state_listener.hpp"

// Two nodes on one database, each with its own stores, write-behind persister and listener: a
// change on one appears on the other within a second, deletions too, without any write going back
// (batches counted); the notice's payload; a notice missed while disconnected is made up by the
// reload after the reconnect; a row written with no notice at all arrives with the periodic reload.

#include "persister_fixture.hpp"
#include "row_helpers.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/shared_notice.hpp"
#include "store/postgres/shared_rows.hpp"
#include "store/postgres/webhook_rows.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace progressd::store;
using namespace std::chrono_literals;
using progressd::testing::eventually;
using progressd::testing::postgres_installed;

namespace {

content_entry course(std::string id, std::string title) {
    content_entry entry;
    entry.id = std::move(id);
    entry.type = "course";
    entry.title = std::move(title);
    return entry;
}

webhook hook(std::string id, std::string url) {
    webhook value;
    value.id = std::move(id);
    value.target_url = std::move(url);
    value.secret = "0123456789abcdef0123456789abcdef";
    value.created_at = 1;
    return value;
}

// One node's shared state: the stores, their write-behind and the listener. The conninfo's
// application_name names the node's listener connection, so a test can cut it.
struct test_node {
    progressd::logger quiet{progressd::log_level::error};
    progress_store records{2, {}};
    catalog contents{records.generation_counter()};
    webhook_registry webhooks{records.generation_counter()};
    pg_persister persister;
    shared_state_listener listener;

    test_node(const std::string& conninfo, const std::string& name, shared_state_listener_options options)
        : persister(records, conninfo, name, [] { return std::vector<partition_claim>{}; },
                    pg_persister_options{durability_mode::snapshot, 100ms}, quiet),
          listener(contents, webhooks, conninfo + " application_name=" + name + "_listener", options, quiet) {
        persister.attach(contents, batch_table::catalog);
        persister.attach(webhooks, batch_table::webhooks);
        persister.start();
        listener.start();
    }
    ~test_node() {
        listener.stop();
        persister.stop();
    }

    std::string title_of(std::string_view id) const {
        const auto snapshot = contents.snapshot();
        const content_entry* entry = snapshot->find(id);
        return entry ? entry->title : "(none)";
    }
    std::string url_of(std::string_view id) const {
        const auto found = webhooks.find(id);
        return found ? found->target_url : "(none)";
    }
};

struct two_nodes {
    std::string conninfo = progressd::testing::shared_pg().create_database();
    connection conn = progressd::testing::open_or_fail(conninfo);
    std::unique_ptr<test_node> a, b;

    explicit two_nodes(shared_state_listener_options options = {}) {
        BOOST_REQUIRE(migrate(conn).ok());
        a = std::make_unique<test_node>(conninfo, "node_a", options);
        b = std::make_unique<test_node>(conninfo, "node_b", options);
        BOOST_REQUIRE(eventually([&] { return a->listener.listening() && b->listener.listening(); }, 5s));
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(shared_notice_payload)

BOOST_AUTO_TEST_CASE(keys_round_trip_whatever_they_hold) {
    const std::vector<std::string_view> keys{"lesson-1", "", "a b:7:c", "line\nbreak", "ünïcode"};
    const auto payload = encode_shared_notice(shared_table::webhooks, keys);
    const auto decoded = decode_shared_notice(payload);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST((decoded->table == shared_table::webhooks));
    BOOST_TEST(!decoded->whole_table);
    BOOST_TEST(decoded->keys == std::vector<std::string>(keys.begin(), keys.end()), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(too_many_keys_become_the_whole_table) {
    const std::string id(100, 'x');
    const std::vector<std::string_view> keys(100, id);  // over 10 000 bytes
    const auto payload = encode_shared_notice(shared_table::catalog, keys);
    BOOST_TEST(payload == "catalog *");
    const auto decoded = decode_shared_notice(payload);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(decoded->whole_table);
}

BOOST_AUTO_TEST_CASE(foreign_and_broken_payloads_are_refused) {
    for (const char* payload : {"", "catalog", "records 1:a", "catalog 5:ab", "catalog x:a", "webhooks 1a"}) {
        BOOST_TEST_CONTEXT(payload) { BOOST_TEST(!decode_shared_notice(payload).has_value()); }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pg_shared_state, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(a_change_on_one_node_reaches_the_other_without_writes_back) {
    two_nodes nodes;
    auto& a = *nodes.a;
    auto& b = *nodes.b;

    const auto written = std::chrono::steady_clock::now();
    a.contents.put(course("c1", "Course one"), 1000);
    BOOST_REQUIRE(a.webhooks.create(hook("w1", "http://receiver.test/one")));
    BOOST_REQUIRE(eventually([&] { return b.title_of("c1") == "Course one" && b.url_of("w1") == "http://receiver.test/one"; }, 3s));
    // A flush interval (100 ms) and a notice: about the second the design promises, with room for
    // a loaded or sanitized build (the polling itself would take 3 s to give up).
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - written).count() < 1500);
    BOOST_TEST(b.contents.snapshot()->find("c1")->updated_at == 1000);

    // Changes and deletions the other way round.
    b.contents.put(course("c1", "Renamed on b"), 2000);
    b.contents.put(course("c2", "Course two"), 2000);
    BOOST_REQUIRE(b.webhooks.remove("w1"));
    BOOST_REQUIRE(eventually([&] { return a.title_of("c1") == "Renamed on b" && a.title_of("c2") == "Course two" &&
                                          a.url_of("w1") == "(none)"; }, 3s));
    BOOST_REQUIRE(a.contents.erase("c2"));
    BOOST_REQUIRE(eventually([&] { return b.title_of("c2") == "(none)"; }, 3s));

    // Settled: nobody writes any more. Every node heard every notice, its own included, and none
    // was written back (a node echoing would add a batch per notice, forever).
    BOOST_REQUIRE(eventually([&] { return a.persister.stats().pending == 0 && b.persister.stats().pending == 0; }, 2s));
    std::this_thread::sleep_for(300ms);  // every notice heard and applied
    // Each node wrote its own three changes and nothing it heard: an echo would write more.
    BOOST_TEST(a.persister.stats().changes_written == 3u);  // c1, w1, c2's removal
    BOOST_TEST(b.persister.stats().changes_written == 3u);  // c1 renamed, c2, w1's removal
    const auto a_flushes = a.persister.stats().flushes, b_flushes = b.persister.stats().flushes;
    std::this_thread::sleep_for(500ms);  // five flush intervals
    BOOST_TEST(a.persister.stats().flushes == a_flushes);
    BOOST_TEST(b.persister.stats().flushes == b_flushes);
    BOOST_TEST(a.persister.stats().changes_written == 3u);
    BOOST_TEST(b.persister.stats().changes_written == 3u);
    BOOST_TEST(a.listener.stats().notices >= 2u);
    BOOST_TEST(b.listener.stats().applied >= 3u);
    BOOST_TEST(a.listener.stats().failures == 0u);
    BOOST_TEST(b.listener.stats().failures == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_changes_converge_on_the_last_commit) {
    two_nodes nodes;
    auto& a = *nodes.a;
    auto& b = *nodes.b;
    std::uint64_t a_last = 0, b_last = 0;
    for (int round = 0; round < 5; ++round) {
        a_last = a.contents.put(course("shared", "a" + std::to_string(round)), 1000 + round).generation;
        b_last = b.contents.put(course("shared", "b" + std::to_string(round)), 1000 + round).generation;
        std::this_thread::sleep_for(20ms);
    }
    // Both nodes' last writes committed (in whichever order)…
    std::promise<bool> a_durable, b_durable;
    auto a_done = a_durable.get_future(), b_done = b_durable.get_future();
    a.persister.when_durable(a_last, [&](bool committed) { a_durable.set_value(committed); });
    b.persister.when_durable(b_last, [&](bool committed) { b_durable.set_value(committed); });
    BOOST_REQUIRE(a_done.wait_for(5s) == std::future_status::ready && a_done.get());
    BOOST_REQUIRE(b_done.wait_for(5s) == std::future_status::ready && b_done.get());
    // … then both nodes end on the row PostgreSQL holds, and stay there.
    const auto settled = load_catalog(nodes.conn);
    BOOST_REQUIRE(settled.ok());
    BOOST_REQUIRE(settled->size() == 1u);
    const std::string last = settled->front().title;
    BOOST_REQUIRE(eventually([&] { return a.title_of("shared") == last && b.title_of("shared") == last; }, 3s));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(a.title_of("shared") == last);
    BOOST_TEST(b.title_of("shared") == last);
    BOOST_TEST(load_catalog(nodes.conn)->front().title == last);  // and nobody wrote since
}

BOOST_AUTO_TEST_CASE(a_notice_missed_while_disconnected_is_made_up_by_the_reload) {
    two_nodes nodes(shared_state_listener_options{.full_reload_interval = std::chrono::hours(1)});
    auto& b = *nodes.b;
    // Rows changed behind everyone's back, with no notice: only a reload can find them.
    BOOST_REQUIRE(progressd::testing::committed(nodes.conn, [&](transaction& txn) {
        const std::vector<content_entry> entries{course("quiet", "No notice")};
        return upsert_catalog(txn, entries);
    }) == 1u);
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(b.title_of("quiet") == "(none)");
    // Cut b's listener connection: it reconnects, LISTENs again and reloads.
    const auto cut = nodes.conn.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'node_b_listener'");
    BOOST_REQUIRE(cut.ok());
    BOOST_REQUIRE(cut->rows() == 1);
    BOOST_REQUIRE(eventually([&] { return b.title_of("quiet") == "No notice"; }, 5s));
    BOOST_TEST(b.listener.stats().connects == 2u);
    BOOST_TEST(nodes.a->title_of("quiet") == "(none)");  // a heard nothing and was not cut
    // And it listens again.
    nodes.a->contents.put(course("after", "After the cut"), 3000);
    BOOST_REQUIRE(eventually([&] { return b.title_of("after") == "After the cut"; }, 3s));
}

BOOST_AUTO_TEST_CASE(the_periodic_reload_finds_rows_written_without_a_notice) {
    two_nodes nodes(shared_state_listener_options{.full_reload_interval = 300ms});
    BOOST_REQUIRE(progressd::testing::committed(nodes.conn, [&](transaction& txn) {
        const std::vector<webhook> hooks{hook("quiet", "http://receiver.test/quiet")};
        return upsert_webhooks(txn, hooks);
    }) == 1u);
    BOOST_REQUIRE(eventually([&] { return nodes.a->url_of("quiet") == "http://receiver.test/quiet" &&
                                          nodes.b->url_of("quiet") == "http://receiver.test/quiet"; }, 3s));
    BOOST_REQUIRE(nodes.conn.exec("DELETE FROM webhooks").ok());
    BOOST_REQUIRE(eventually([&] { return nodes.a->url_of("quiet") == "(none)" && nodes.b->url_of("quiet") == "(none)"; }, 3s));
    BOOST_TEST(nodes.a->listener.stats().connects == 1u);
    BOOST_TEST(nodes.a->persister.stats().flushes == 0u);  // applied, never written
}

BOOST_AUTO_TEST_CASE(rows_read_by_id_leave_out_the_deleted) {
    two_nodes nodes;
    nodes.a->contents.put(course("x", "X"), 1);
    BOOST_REQUIRE(eventually([&] { return nodes.a->persister.stats().flushes == 1u; }, 3s));
    const std::vector<std::string> ids{"x", "missing"};
    const auto rows = load_catalog_entries(nodes.conn, ids);
    BOOST_REQUIRE(rows.ok());
    BOOST_REQUIRE(rows->size() == 1u);
    BOOST_TEST(rows->front().title == "X");
}

BOOST_AUTO_TEST_SUITE_END()
