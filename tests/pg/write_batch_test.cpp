#include "store/postgres/write_batch.hpp"

#include "row_helpers.hpp"
#include "sample_records.hpp"
#include "sample_rows.hpp"
#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/partition.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/fencing.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/webhook_rows.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace progressd::store;
using progressd::testing::assessment_shapes;
using progressd::testing::catalog_shapes;
using progressd::testing::delivery_shapes;
using progressd::testing::enrolment_shapes;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::record_shapes;
using progressd::testing::require_same;
using progressd::testing::required;
using progressd::testing::scalar;
using progressd::testing::webhook_shapes;

namespace {

// The changes each source would emit, encoded as it encodes them.
void add_catalog(write_batch& batch, const content_entry& entry) {
    batch.collector(batch_table::catalog)(entry.id, encode_catalog_entry(entry));
}
void add_enrolment(write_batch& batch, std::string_view user, const enrolment_key& key, const enrolment* value) {
    batch.collector(batch_table::enrolments)(encode_enrolment_key(user, key),
                                             value ? std::optional(encode_enrolment(*value)) : std::nullopt);
}
void add_assessment(write_batch& batch, std::string_view user, const record_key& key, const assessment_state* state) {
    std::string encoded;
    encode_key(encoded, user, key);
    batch.collector(batch_table::assessments)(encoded, state ? std::optional(encode_assessment_state(*state)) : std::nullopt);
}
void add_webhook(write_batch& batch, const webhook& hook) {
    batch.collector(batch_table::webhooks)(hook.id, encode_webhook(hook));
}
void add_delivery(write_batch& batch, const delivery& value) {
    batch.collector(batch_table::outbox)(event_outbox::key_of(value.event, value.webhook_id), encode_delivery(value));
}

// A transaction that applies `batch` and commits; what apply_batch reported.
batch_written apply_and_commit(connection& conn, const write_batch& batch) {
    auto txn = transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    auto written = required(apply_batch(txn.value(), batch));
    BOOST_REQUIRE(txn->commit().ok());
    return written;
}

// The samples of every kind a batch carries, for the tests that write them all.
struct every_shape {
    const std::vector<progress_record> records = record_shapes();
    const std::vector<content_entry> entries = catalog_shapes();
    const std::vector<std::pair<enrolment_key, enrolment>> enrolments = enrolment_shapes();
    const std::vector<assessment_state> states = assessment_shapes();
    const std::vector<webhook> hooks = webhook_shapes();
    const std::vector<delivery> deliveries = delivery_shapes();
};

std::string count_of(connection& conn, std::string_view table) {
    return scalar(conn, "SELECT count(*) FROM " + std::string(table));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_write_batch, *boost::unit_test::precondition(postgres_installed{}))

BOOST_FIXTURE_TEST_CASE(a_batch_of_every_kind_lands_in_every_table, every_shape) {
    auto conn = migrated_database();

    write_batch batch;
    for (std::size_t i = 0; i < records.size(); ++i) batch.add_record("user-1", {"ctx", "c" + std::to_string(i)}, &records[i]);
    for (const auto& entry : entries) add_catalog(batch, entry);
    for (const auto& [key, value] : enrolments) add_enrolment(batch, "user-1", key, &value);
    for (std::size_t i = 0; i < states.size(); ++i) add_assessment(batch, "user-2", {"", "q" + std::to_string(i)}, &states[i]);
    for (const auto& hook : hooks) add_webhook(batch, hook);
    for (const auto& value : deliveries) add_delivery(batch, value);

    const auto written = apply_and_commit(conn, batch);
    BOOST_TEST(written.upserted == batch.size());
    BOOST_TEST(written.deleted == 0u);

    const auto loaded_records = required(load_user(conn, "user-1"));
    BOOST_REQUIRE(loaded_records.size() == records.size());
    for (const auto& got : loaded_records) {
        const auto i = std::stoul(got.key.content_id.substr(1));
        BOOST_TEST_CONTEXT(got.key.content_id) { require_same(got.record, records[i]); }
    }
    const auto loaded_entries = required(load_catalog(conn));
    BOOST_TEST(loaded_entries.size() == entries.size());
    for (const auto& entry : entries) {
        BOOST_TEST(std::count(loaded_entries.begin(), loaded_entries.end(), entry) == 1);
    }
    const auto loaded_enrolments = required(load_user_enrolments(conn, "user-1"));
    BOOST_REQUIRE(loaded_enrolments.size() == enrolments.size());
    for (std::size_t i = 0; i < enrolments.size(); ++i) BOOST_TEST((loaded_enrolments[i].value == enrolments[i].second));
    const auto loaded_states = required(load_user_assessments(conn, "user-2"));
    BOOST_REQUIRE(loaded_states.size() == states.size());
    for (std::size_t i = 0; i < states.size(); ++i) BOOST_TEST((loaded_states[i].state == states[i]));
    BOOST_TEST((required(load_webhooks(conn)) == hooks));
    const auto loaded_outbox = required(load_outbox(conn));
    BOOST_TEST(loaded_outbox.size() == deliveries.size());
    for (const auto& got : loaded_outbox) BOOST_TEST((got.key == event_outbox::key_of(got.value.event, got.value.webhook_id)));
}

BOOST_FIXTURE_TEST_CASE(the_last_change_to_a_key_wins_and_tombstones_delete, every_shape) {
    auto conn = migrated_database();
    {
        write_batch first;
        first.add_record("user-1", {"", "kept"}, &records[1]);
        first.add_record("user-1", {"", "erased"}, &records[2]);
        add_catalog(first, entries[0]);
        add_catalog(first, entries[1]);
        add_enrolment(first, "user-1", enrolments[0].first, &enrolments[0].second);
        add_assessment(first, "user-1", {"", "q"}, &states[0]);
        add_webhook(first, hooks[0]);
        add_webhook(first, hooks[1]);
        add_delivery(first, deliveries[0]);
        add_delivery(first, deliveries[1]);
        apply_and_commit(conn, first);
    }
    write_batch second;
    second.add_record("user-1", {"", "kept"}, nullptr);        // removed, then written again
    second.add_record("user-1", {"", "kept"}, &records[4]);
    second.add_record("user-1", {"", "erased"}, &records[3]);  // written, then removed
    second.add_record("user-1", {"", "erased"}, nullptr);
    second.add_record("user-1", {"", "never"}, nullptr);       // created and removed between batches
    second.collector(batch_table::catalog)(entries[1].id, std::nullopt);
    add_enrolment(second, "user-1", enrolments[0].first, nullptr);
    add_assessment(second, "user-1", {"", "q"}, &states[1]);
    second.collector(batch_table::webhooks)(hooks[0].id, std::nullopt);
    second.collector(batch_table::outbox)(event_outbox::key_of(deliveries[0].event, deliveries[0].webhook_id), std::nullopt);
    const auto written = apply_and_commit(conn, second);
    BOOST_TEST(written.upserted == 2u);  // the record "kept" and the assessment
    BOOST_TEST(written.deleted == 5u);   // "erased", an entry, an enrolment, a webhook, a delivery

    const auto loaded = required(load_user(conn, "user-1"));
    BOOST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST(loaded[0].key.content_id == "kept");
    require_same(loaded[0].record, records[4]);
    const auto catalog = required(load_catalog(conn));
    BOOST_REQUIRE(catalog.size() == 1u);
    BOOST_TEST((catalog[0] == entries[0]));
    BOOST_TEST(required(load_user_enrolments(conn, "user-1")).empty());
    BOOST_TEST((required(load_user_assessments(conn, "user-1"))[0].state == states[1]));
    const auto webhooks = required(load_webhooks(conn));
    BOOST_REQUIRE(webhooks.size() == 1u);
    BOOST_TEST(webhooks[0].id == hooks[1].id);
    const auto outbox = required(load_outbox(conn));
    BOOST_REQUIRE(outbox.size() == 1u);
    BOOST_TEST((outbox[0].value == deliveries[1]));
}

BOOST_AUTO_TEST_CASE(a_change_that_does_not_decode_fails_the_batch_before_any_write) {
    auto conn = migrated_database();
    const auto records = record_shapes();
    for (const auto table : {batch_table::catalog, batch_table::enrolments, batch_table::assessments,
                             batch_table::webhooks, batch_table::outbox}) {
        write_batch batch;
        batch.add_record("user-1", {"", "c1"}, &records[0]);
        add_catalog(batch, catalog_shapes()[0]);
        batch.collector(table)("bad-key", std::string("\x7f not a value"));
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        const auto applied = apply_batch(txn.value(), batch);
        BOOST_TEST_CONTEXT("table " << static_cast<int>(table)) {
            BOOST_REQUIRE(!applied.ok());
            BOOST_TEST(static_cast<int>(applied.error().code) == static_cast<int>(pg_errc::malformed_row));
            BOOST_TEST(applied.error().message.find("change (bad-key)") != std::string::npos, applied.error().message);
            // Nothing reached the tables, even inside the batch's own transaction.
            BOOST_TEST(count_of(conn, "records") == "0");
            BOOST_TEST(count_of(conn, "catalog") == "0");
        }
    }
}

BOOST_AUTO_TEST_CASE(the_partitions_to_claim_are_those_of_the_users_written) {
    const auto records = record_shapes();
    const auto enrolments = enrolment_shapes();
    const auto states = assessment_shapes();
    write_batch batch;
    BOOST_TEST(batch_partitions(batch).empty());
    batch.add_record("user-a", {"", "c"}, &records[0]);
    batch.add_record("user-a", {"", "d"}, nullptr);
    add_enrolment(batch, "user-b", enrolments[0].first, nullptr);
    add_assessment(batch, "user-c", {"", "q"}, &states[0]);
    add_catalog(batch, catalog_shapes()[0]);
    add_webhook(batch, webhook_shapes()[0]);
    add_delivery(batch, delivery_shapes()[1]);  // user-2's event: the outbox is the cluster's
    std::vector<std::uint32_t> wanted{partition_of("user-a"), partition_of("user-b"), partition_of("user-c")};
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    BOOST_TEST(batch_partitions(batch) == wanted);
}

BOOST_AUTO_TEST_CASE(a_batch_commits_through_the_fence_or_not_at_all) {
    auto conn = migrated_database();
    const auto records = record_shapes();
    write_batch batch;
    batch.add_record("user-1", {"", "c1"}, &records[1]);
    add_catalog(batch, catalog_shapes()[0]);
    const auto partitions = batch_partitions(batch);
    BOOST_REQUIRE(partitions.size() == 1u);
    const std::string partition = std::to_string(partitions[0]);
    BOOST_REQUIRE(conn.exec("UPDATE partitions SET owner = 'node-a', epoch = 7 WHERE partition = " + partition).ok());

    const auto commit_as = [&](std::int64_t epoch) {
        auto txn = transaction::begin(conn);
        BOOST_REQUIRE(txn.ok());
        required(apply_batch(txn.value(), batch));
        const std::vector<partition_claim> claims{{partitions[0], epoch}};
        return fenced_commit(txn.value(), "node-a", claims);
    };
    const auto stale = commit_as(6);  // taken over since: refused whole
    BOOST_REQUIRE(!stale.ok());
    BOOST_TEST(static_cast<int>(stale.error().code) == static_cast<int>(pg_errc::fenced));
    BOOST_TEST(count_of(conn, "records") == "0");
    BOOST_TEST(count_of(conn, "catalog") == "0");

    BOOST_TEST(commit_as(7).ok());
    BOOST_TEST(count_of(conn, "records") == "1");
    BOOST_TEST(count_of(conn, "catalog") == "1");
}

BOOST_AUTO_TEST_SUITE_END()
