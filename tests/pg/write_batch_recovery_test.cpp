#include "store/postgres/write_batch.hpp"

// Everything the LMDB store persists is persisted in PostgreSQL: the same changes, made to the
// in-memory stores by the same operations, are written through the LMDB persister into a temp
// LMDB and through apply_batch into PostgreSQL; every store recovered from each must then be the
// same, and the same as the stores that made the changes. The sources' changes reach PostgreSQL
// exactly as the persister collected them (a source in between hands each change to both); the
// records, which the persister reads from the progress store directly, as the difference between
// the store before and after each round, which is what its dirty set holds.

#include "common/log.hpp"
#include "row_helpers.hpp"
#include "store/codec/record_codec.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/webhook_rows.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

using namespace progressd::store;
using progressd::testing::make_ping;
using progressd::testing::migrated_database;
using progressd::testing::postgres_installed;
using progressd::testing::required;
using progressd::testing::temp_dir;
using progressd::testing::watch;

namespace {

const progressd::logger quiet{progressd::log_level::error};

const std::vector<std::string> users{"u1", "u2", "u3", "learner@example.org"};
const std::vector<std::string> content_ids{"course-1", "unit-1", "l1", "l2", "l3", "quiz-1", "learned-1", "extra"};
constexpr auto everything = std::numeric_limits<std::size_t>::max();

// One server's stores, built as main builds them: one generation counter for all.
struct stores {
    progress_store records{4, {}};
    catalog contents{records.generation_counter()};
    enrolment_store enrolments{4, records.generation_counter()};
    assessment_store assessments{4, records.generation_counter()};
    webhook_registry webhooks{records.generation_counter()};
    event_outbox outbox{records.generation_counter(), {}};
};

// Hands each change of `inner` to the persister and to the PostgreSQL batch alike.
class teeing_source : public dirty_source {
public:
    teeing_source(dirty_source& inner, write_batch& batch, batch_table table)
        : inner_(inner), copy_(batch.collector(table)) {}

    std::size_t collect_changes(const change_visitor& emit) override {
        return inner_.collect_changes([&](std::string key, std::optional<std::string> value) {
            copy_(key, value);
            emit(std::move(key), std::move(value));
        });
    }

private:
    dirty_source& inner_;
    change_visitor copy_;
};

using record_map = std::map<std::tuple<std::string, std::string, std::string>, progress_record>;

record_map records_of(const progress_store& store) {
    record_map out;
    for (const auto& user : users) {
        for (auto& [key, record] : store.list_user(user, 0, everything).records) {
            out.emplace(std::make_tuple(user, key.context_id, key.content_id), std::move(record));
        }
    }
    return out;
}

std::string encoded(const progress_record& record) {
    std::string out;
    encode_record(out, record);
    return out;
}

// The records' changes between two states, as the store's dirty set would hand them over.
void add_record_changes(write_batch& batch, const record_map& before, const record_map& after) {
    for (const auto& [key, record] : after) {
        const auto old = before.find(key);
        if (old == before.end() || encoded(old->second) != encoded(record)) {
            batch.add_record(std::get<0>(key), {std::get<1>(key), std::get<2>(key)}, &record);
        }
    }
    for (const auto& [key, record] : before) {
        if (!after.contains(key)) batch.add_record(std::get<0>(key), {std::get<1>(key), std::get<2>(key)}, nullptr);
    }
}

// Persists the round's changes both ways: LMDB through a persister (stop() writes everything
// dirty), PostgreSQL through one batch in one transaction.
void persist_round(stores& live, lmdb_environment& environment, connection& conn, const record_map& before) {
    write_batch batch;
    add_record_changes(batch, before, records_of(live.records));
    {
        teeing_source contents(live.contents, batch, batch_table::catalog);
        teeing_source enrolments(live.enrolments, batch, batch_table::enrolments);
        teeing_source assessments(live.assessments, batch, batch_table::assessments);
        teeing_source webhooks(live.webhooks, batch, batch_table::webhooks);
        teeing_source outbox(live.outbox, batch, batch_table::outbox);
        persister writer(live.records, environment, {durability_mode::snapshot, std::chrono::hours(1)}, quiet);
        writer.attach(contents, environment.catalog());
        writer.attach(enrolments, environment.enrolments());
        writer.attach(assessments, environment.assessments());
        writer.attach(webhooks, environment.webhooks());
        writer.attach(outbox, environment.outbox());
        writer.start();
        BOOST_REQUIRE(writer.stop());
    }
    BOOST_REQUIRE(!batch.changes.empty());
    auto txn = transaction::begin(conn);
    BOOST_REQUIRE(txn.ok());
    required(apply_batch(txn.value(), batch));
    BOOST_REQUIRE(txn->commit().ok());
}

void recover_from_lmdb(const lmdb_environment& environment, stores& into) {
    recover(environment, into.records, quiet);
    recover_catalog(environment, into.contents, quiet);
    recover_enrolments(environment, into.enrolments, quiet);
    recover_assessments(environment, into.assessments, quiet);
    recover_webhooks(environment, into.webhooks, quiet);
    recover_outbox(environment, into.outbox, quiet);
}

// What a node does when it takes a partition's users over: the shared tables whole, each user's
// rows in one load per table.
void recover_from_postgres(connection& conn, stores& into) {
    for (const auto& user : users) {
        for (const auto& row : required(load_user(conn, user))) into.records.load(user, row.key, row.record);
        for (const auto& row : required(load_user_enrolments(conn, user))) into.enrolments.load(user, row.key, row.value);
        for (auto& row : required(load_user_assessments(conn, user))) into.assessments.load(user, row.key, std::move(row.state));
    }
    into.contents.load(required(load_catalog(conn)));
    for (auto& hook : required(load_webhooks(conn))) into.webhooks.load(std::move(hook));
    for (auto& row : required(load_outbox(conn))) into.outbox.load(std::move(row.key), std::move(row.value));
}

// Every store of `got` holds what `wanted` holds. The outboxes' deliveries are compared, in due
// order, through take_due, which marks what it hands out as in flight: with `whole_outbox` false
// (the live stores, which go on), only their counts are.
void require_same_stores(stores& got, stores& wanted, std::string_view what, bool whole_outbox = true) {
    BOOST_TEST_CONTEXT(what) {
        const auto got_records = records_of(got.records), wanted_records = records_of(wanted.records);
        BOOST_TEST(got_records.size() == wanted_records.size());
        for (const auto& [key, record] : wanted_records) {
            const auto found = got_records.find(key);
            BOOST_TEST_CONTEXT(std::get<0>(key) << "/" << std::get<1>(key) << "/" << std::get<2>(key)) {
                BOOST_REQUIRE(found != got_records.end());
                BOOST_TEST(encoded(found->second) == encoded(record));  // every field, bit for bit
            }
        }
        BOOST_TEST(got.records.stats().records == wanted.records.stats().records);

        const auto got_catalog = got.contents.snapshot(), wanted_catalog = wanted.contents.snapshot();
        BOOST_TEST(got_catalog->size() == wanted_catalog->size());
        for (const auto& id : content_ids) {
            const content_entry* a = got_catalog->find(id);
            const content_entry* b = wanted_catalog->find(id);
            BOOST_TEST_CONTEXT("catalog " << id) {
                BOOST_REQUIRE((a == nullptr) == (b == nullptr));
                if (a) BOOST_TEST((*a == *b));
            }
        }

        BOOST_TEST(got.enrolments.size() == wanted.enrolments.size());
        for (const auto& user : users) {
            BOOST_TEST_CONTEXT("user " << user) {
                BOOST_TEST((got.enrolments.list_user(user) == wanted.enrolments.list_user(user)));
                BOOST_TEST((got.assessments.list_user(user) == wanted.assessments.list_user(user)));
            }
        }

        BOOST_TEST((*got.webhooks.snapshot() == *wanted.webhooks.snapshot()));

        BOOST_TEST(got.outbox.size() == wanted.outbox.size());
        if (!whole_outbox) return;
        const auto max_time = std::numeric_limits<std::int64_t>::max();
        const auto max_generation = std::numeric_limits<std::uint64_t>::max();
        const auto got_due = got.outbox.take_due(max_time, max_generation, 1000);
        const auto wanted_due = wanted.outbox.take_due(max_time, max_generation, 1000);
        BOOST_REQUIRE(got_due.size() == wanted_due.size());
        for (std::size_t i = 0; i < got_due.size(); ++i) {
            BOOST_TEST(got_due[i].key == wanted_due[i].key);
            BOOST_TEST((got_due[i].value == wanted_due[i].value));
        }
    }
}

webhook hook(std::string id, std::string url, std::optional<event_type> only = std::nullopt) {
    webhook value;
    value.id = std::move(id);
    value.target_url = std::move(url);
    value.only = only;
    value.secret = "secret-of-" + value.id;
    value.created_at = 1'700'000'000'000;
    return value;
}

progress_event event(std::string id, std::string user, event_type type, std::int64_t at) {
    progress_event value;
    value.id = std::move(id);
    value.type = type;
    value.occurred_at = at;
    value.user_id = std::move(user);
    value.context_id = "batch-1";
    value.course_id = "course-1";
    value.content_id = type == event_type::course_completion ? "" : "l1";
    if (type == event_type::quiz_completion) value.quiz = quiz_outcome{"a1", 9, 10, true};
    return value;
}

// Round 1: a bit of everything is created.
void first_round(stores& s) {
    std::int64_t now = 1'700'000'000'000;
    for (const auto& user : users) {
        s.records.apply_ping(user, make_ping({.content = "l1", .position = 30, .context = "batch-1", .ts = now}), now);
        s.records.apply_ping(user, make_ping({.content = "l2", .position = 95, .duration = 100, .details = R"({"k":1})",
                                               .session = "s1", .seq = 1, .mimetype = "video/mp4"}), ++now);
        s.records.apply_ping(user, watch("l3", 5), ++now);
        s.enrolments.ensure(user, "course-1", "batch-1", ++now);
        s.assessments.submit(user, {"batch-1", "quiz-1"}, {"a1", 7, 10, now, true});
    }
    s.records.overwrite("u1", {"batch-1", "l1"}, {.notes = std::string("notes ✓"), .bookmarked = true,
                                                   .metadata = std::string(R"({"m":[1]})")}, ++now);
    s.records.overwrite("u3", {"", "l3"}, {.status = progress_status::completed}, ++now);
    s.enrolments.put("u1", {"course-1", ""}, {.expires_at = now + 86'400'000, .active = false}, ++now);

    content_entry course;
    course.id = "course-1";
    course.type = "course";
    course.title = "Course ✓";
    course.children = {"unit-1", "quiz-1"};
    course.attributes = R"({"level":"intro"})";
    content_entry unit;
    unit.id = "unit-1";
    unit.type = "unit";
    unit.parent_id = "course-1";
    unit.children = {"l1", "l2", "l3"};
    unit.duration_seconds = 600;
    s.contents.put_all({course, unit}, ++now);
    s.contents.learn("learned-1", "l1", ++now);

    s.webhooks.create(hook("hook-a", "http://a.example/h"));
    s.webhooks.create(hook("hook-b", "http://b.example/h", event_type::quiz_completion));
    s.webhooks.create(hook("hook-c", "http://c.example/h"));
    s.outbox.publish(event("e1", "u1", event_type::lesson_completion, now), s.webhooks.targets_for(event_type::lesson_completion), now);
    s.outbox.publish(event("e2", "u2", event_type::quiz_completion, now), s.webhooks.targets_for(event_type::quiz_completion), now + 1);
    s.outbox.publish(event("e3", "u3", event_type::course_completion, now), s.webhooks.targets_for(event_type::course_completion), now + 2);
}

// Round 2: changes and removals of every kind, and things created again after removal.
void second_round(stores& s) {
    std::int64_t now = 1'700'000'100'000;
    s.records.apply_ping("u1", make_ping({.content = "l1", .position = 60, .context = "batch-1", .ts = now}), now);
    s.records.apply_ping("u1", make_ping({.content = "l1", .position = 61, .context = "batch-1", .session = "s2"}), ++now);
    s.records.erase("u1", "", "l3");
    s.records.erase("u3", "", "l2");
    s.records.apply_ping("u3", watch("l2", 12), ++now);  // the same key again, a new record
    s.records.hide("u3", "l1");
    s.records.erase_user("u2");
    s.enrolments.erase_user("u2");
    s.assessments.erase_user("u2");
    s.records.apply_ping("learner@example.org", watch("extra", 1, "batch-2"), ++now);

    s.enrolments.erase("u1", "course-1", "batch-1");
    s.enrolments.put("u3", {"course-1", "batch-1"}, {.active = false}, ++now);
    s.assessments.submit("u1", {"batch-1", "quiz-1"}, {"a2", 3, 10, now, false});
    s.assessments.update("u3", {"batch-1", "quiz-1"}, [](assessment_state& state) { state.attempts.clear(); });  // removed

    s.contents.erase("unit-1");
    content_entry extra;
    extra.id = "extra";
    extra.type = "pdf";
    extra.optional = true;
    s.contents.put(extra, ++now);
    s.contents.learn("learned-1", "l2", ++now);

    const auto due = s.outbox.take_due(now, std::numeric_limits<std::uint64_t>::max(), 100);
    BOOST_REQUIRE(due.size() >= 3u);
    s.outbox.finish(due[0].key, delivery_outcome::delivered, now);
    s.outbox.finish(due[1].key, delivery_outcome::failed, now, "HTTP 503");
    for (std::size_t i = 2; i < due.size(); ++i) s.outbox.finish(due[i].key, delivery_outcome::failed, now, "timeout ✓");
    s.webhooks.update("hook-c", [](webhook& value) {
        value.active = false;
        value.deactivate_reason = "gone";
    });
    s.outbox.drop_webhook("hook-c");
    s.webhooks.remove("hook-b");
    s.webhooks.create(hook("hook-d", "http://d.example/h", event_type::course_enrollment));
    s.outbox.publish(event("e4", "u3", event_type::course_enrollment, now), s.webhooks.targets_for(event_type::course_enrollment), now);
}

// Round 3: a removed user comes back, a removed entry and webhook are created again.
void third_round(stores& s) {
    std::int64_t now = 1'700'000'200'000;
    s.records.apply_ping("u2", watch("l1", 3, "batch-1"), now);
    s.enrolments.ensure("u2", "course-1", "batch-1", ++now);
    s.assessments.submit("u2", {"batch-1", "quiz-1"}, {"a9", 10, 10, now, true});
    content_entry unit;
    unit.id = "unit-1";
    unit.type = "unit";
    unit.title = "again";
    s.contents.put(unit, ++now);
    s.webhooks.create(hook("hook-b", "http://b2.example/h"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_write_batch_recovery, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(recovering_from_postgresql_equals_recovering_from_lmdb) {
    temp_dir dir;
    auto environment = open_data_dir(dir.str(), std::size_t{8} << 20);
    auto conn = migrated_database();
    stores live;

    for (const auto round : {first_round, second_round, third_round}) {
        const auto before = records_of(live.records);
        round(live);
        persist_round(live, environment, conn, before);

        stores from_lmdb;
        stores from_postgres;
        recover_from_lmdb(environment, from_lmdb);
        recover_from_postgres(conn, from_postgres);
        // Nothing trivial: each round leaves records, entries, enrolments, states, webhooks, deliveries.
        BOOST_TEST(from_lmdb.records.stats().records > 0u);
        BOOST_TEST(from_lmdb.contents.snapshot()->size() > 0u);
        BOOST_TEST(from_lmdb.enrolments.size() > 0u);
        BOOST_TEST(from_lmdb.webhooks.snapshot()->size() > 0u);
        BOOST_TEST(from_lmdb.outbox.size() > 0u);
        require_same_stores(from_postgres, from_lmdb, "PostgreSQL against LMDB");
        stores from_lmdb_again;
        recover_from_lmdb(environment, from_lmdb_again);
        require_same_stores(from_lmdb_again, live, "LMDB against the live stores", false);
    }
}

BOOST_AUTO_TEST_SUITE_END()
