#include "store/enrolments.hpp"

#include "store/codec/enrolment_codec.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <future>
#include <map>
#include <random>

using namespace progressd::store;

namespace {

struct fixture {
    std::atomic<std::uint64_t> generation{5};
    enrolment_store enrolments{4, generation};

    // key → value bytes ("" for a tombstone), newest last wins.
    std::map<std::string, std::string> collect() {
        std::map<std::string, std::string> changes;
        enrolments.collect_changes([&](std::string key, std::optional<std::string> value) {
            changes[std::move(key)] = value.value_or("");
        });
        return changes;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(enrolments_suite)

BOOST_FIXTURE_TEST_CASE(ensure_creates_once_an_implicit_active_enrolment, fixture) {
    BOOST_TEST(enrolments.ensure("u1", "course", "batch", 100).value() == 5u);
    BOOST_TEST(!enrolments.ensure("u1", "course", "batch", 200).has_value());
    const auto found = enrolments.find("u1", "course", "batch");
    BOOST_REQUIRE(found);
    BOOST_TEST(found->enrolled_at == 100);
    BOOST_TEST(found->active);
    BOOST_TEST(found->implicit);
    BOOST_TEST(found->expires_at == 0);
    BOOST_TEST(!found->expired(1'000'000));
    BOOST_TEST(!enrolments.find("u1", "course", "other"));
    BOOST_TEST(!enrolments.find("u2", "course", "batch"));
    BOOST_TEST(enrolments.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(put_creates_with_defaults_then_sets_only_what_is_given, fixture) {
    auto written = enrolments.put("u1", {"course", ""}, {}, 100);
    BOOST_TEST(written.created);
    BOOST_TEST(written.stored.enrolled_at == 100);
    BOOST_TEST(written.stored.active);
    BOOST_TEST(!written.stored.implicit);
    written = enrolments.put("u1", {"course", ""}, {.expires_at = 500, .active = false}, 200);
    BOOST_TEST(!written.created);
    BOOST_TEST(written.stored.enrolled_at == 100);
    BOOST_TEST(written.stored.expires_at == 500);
    BOOST_TEST(!written.stored.active);
    BOOST_TEST(written.stored.updated_at == 200);
    BOOST_TEST(written.stored.expired(500));
    BOOST_TEST(!written.stored.expired(499));
    written = enrolments.put("u1", {"course", ""}, {.expires_at = 0}, 300);  // never again
    BOOST_TEST(written.stored.expires_at == 0);
}

BOOST_FIXTURE_TEST_CASE(an_explicit_write_makes_an_implicit_enrolment_explicit, fixture) {
    enrolments.ensure("u1", "course", "b", 100);
    const auto written = enrolments.put("u1", {"course", "b"}, {}, 200);
    BOOST_TEST(!written.created);
    BOOST_TEST(!written.stored.implicit);
    BOOST_TEST(written.stored.enrolled_at == 100);
}

BOOST_FIXTURE_TEST_CASE(list_is_ordered_and_erase_removes, fixture) {
    enrolments.ensure("u1", "c2", "b", 1);
    enrolments.ensure("u1", "c1", "b", 1);
    enrolments.ensure("u1", "c1", "", 1);
    enrolments.ensure("u2", "c1", "b", 1);
    auto listing = enrolments.list_user("u1");
    BOOST_REQUIRE(listing.size() == 3u);
    BOOST_TEST(listing[0].first.collection_id == "c1");
    BOOST_TEST(listing[0].first.context_id == "");
    BOOST_TEST(listing[2].first.collection_id == "c2");
    BOOST_TEST(enrolments.erase("u1", "c1", "b").has_value());
    BOOST_TEST(!enrolments.erase("u1", "c1", "b").has_value());
    BOOST_TEST(enrolments.list_user("u1").size() == 2u);
    BOOST_TEST(enrolments.erase_user("u1").count == 2u);
    BOOST_TEST(enrolments.erase_user("u1").count == 0u);
    BOOST_TEST(enrolments.list_user("u1").empty());
    BOOST_TEST(enrolments.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(changes_are_collected_with_tombstones, fixture) {
    enrolments.ensure("u1", "c1", "b", 1);
    enrolments.put("u1", {"c2", ""}, {}, 1);
    enrolments.erase("u1", "c2", "");
    auto changes = collect();
    BOOST_REQUIRE(changes.size() == 2u);
    const auto kept = changes[encode_enrolment_key("u1", {"c1", "b"})];
    BOOST_REQUIRE(decode_enrolment(kept));
    BOOST_TEST(decode_enrolment(kept)->implicit);
    BOOST_TEST(changes[encode_enrolment_key("u1", {"c2", ""})].empty());
    BOOST_TEST(collect().empty());
    enrolments.load("u3", {"c", "b"}, enrolment{});
    BOOST_TEST(collect().empty());  // loaded is clean
    BOOST_TEST(enrolments.find("u3", "c", "b").has_value());
}

BOOST_AUTO_TEST_CASE(codec_round_trips_and_rejects_damage) {
    enrolment value{123, 456, false, true, 789};
    const auto bytes = encode_enrolment(value);
    BOOST_REQUIRE(decode_enrolment(bytes));
    BOOST_TEST((*decode_enrolment(bytes) == value));
    for (std::size_t length = 0; length < bytes.size(); ++length) BOOST_TEST(!decode_enrolment(bytes.substr(0, length)));
    BOOST_TEST(!decode_enrolment(bytes + "x"));
    auto bad_flags = bytes;
    bad_flags[1] = '\x80';
    BOOST_TEST(!decode_enrolment(bad_flags));

    const auto key = encode_enrolment_key("u1", {"course", ""});
    const auto parts = decode_enrolment_key(key);
    BOOST_REQUIRE(parts);
    BOOST_TEST(parts->user_id == "u1");
    BOOST_TEST(parts->collection_id == "course");
    BOOST_TEST(parts->context_id == "");
    BOOST_TEST(!decode_enrolment_key(std::string("u1\0\0b", 5)));  // no collection
    BOOST_TEST(!decode_enrolment_key("u1"));
    BOOST_TEST(!decode_enrolment_key(std::string("u 1\0c\0b", 7)));
}

BOOST_AUTO_TEST_CASE(persisted_through_the_persister_and_recovered) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("progressd-enrolments-test-" + std::to_string(std::random_device{}()));
    const progressd::logger quiet{progressd::log_level::error};
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        progress_store store(4, {});
        enrolment_store enrolments(4, store.generation_counter());
        persister writer(store, environment, {durability_mode::sync, std::chrono::hours(1)}, quiet);
        writer.attach(enrolments, environment.enrolments());
        writer.start();
        enrolments.ensure("u1", "c1", "b", 10);
        enrolments.put("u1", {"c2", ""}, {.expires_at = 99, .active = false}, 20);
        enrolments.ensure("u2", "gone", "b", 30);
        const auto last = enrolments.erase("u2", "gone", "b");
        std::promise<bool> durable;
        writer.when_durable(*last, [&](bool ok) { durable.set_value(ok); });
        BOOST_TEST(durable.get_future().get());
        BOOST_TEST(writer.stop());
    }
    {
        auto environment = open_data_dir(dir.string(), std::size_t{1} << 20);
        std::atomic<std::uint64_t> generation{1};
        enrolment_store reloaded(4, generation);
        const auto result = recover_enrolments(environment, reloaded, quiet);
        BOOST_TEST(result.records == 2u);
        BOOST_TEST(reloaded.size() == 2u);
        const auto c2 = reloaded.find("u1", "c2", "");
        BOOST_REQUIRE(c2);
        BOOST_TEST(c2->expires_at == 99);
        BOOST_TEST(!c2->active);
        BOOST_TEST(reloaded.find("u1", "c1", "b")->implicit);
        BOOST_TEST(!reloaded.find("u2", "gone", "b"));
    }
    fs::remove_all(dir);
}

BOOST_FIXTURE_TEST_CASE(list_collection_spans_users_and_contexts, fixture) {
    enrolments.ensure("u2", "course", "", 100);
    enrolments.ensure("u1", "course", "b", 100);
    enrolments.ensure("u1", "course", "", 100);
    enrolments.ensure("u1", "course-2", "", 100);
    enrolments.ensure("u3", "other", "", 100);
    const auto members = enrolments.list_collection("course");
    BOOST_TEST_REQUIRE(members.size() == 3u);
    BOOST_TEST(members[0].user_id == "u1");
    BOOST_TEST(members[0].context_id == "");
    BOOST_TEST(members[1].user_id == "u1");
    BOOST_TEST(members[1].context_id == "b");
    BOOST_TEST(members[2].user_id == "u2");
    BOOST_TEST(enrolments.list_collection("none").empty());
}

BOOST_AUTO_TEST_SUITE_END()
