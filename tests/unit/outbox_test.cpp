#include "store/outbox.hpp"

#include "store/codec/event_codec.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"
#include "store/persist/recovery.hpp"
#include "temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <future>
#include <map>

using namespace progressd::store;

namespace {

webhook make_hook(std::string id, std::string url, std::optional<event_type> only = std::nullopt) {
    webhook hook;
    hook.id = std::move(id);
    hook.target_url = std::move(url);
    hook.only = only;
    hook.secret = "0123456789abcdef0123456789abcdef";
    return hook;
}

progress_event make_event(std::string id, event_type type = event_type::lesson_completion) {
    progress_event event;
    event.id = std::move(id);
    event.type = type;
    event.occurred_at = 1000;
    event.user_id = "u1";
    event.context_id = "b1";
    event.course_id = "c1";
    event.content_id = "l1";
    return event;
}

std::map<std::string, std::string> collect(dirty_source& source) {
    std::map<std::string, std::string> changes;
    source.collect_changes([&](std::string key, std::optional<std::string> value) {
        changes[std::move(key)] = value.value_or("");
    });
    return changes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhooks)

BOOST_AUTO_TEST_CASE(targets_are_active_subscribed_and_one_per_url) {
    std::atomic<std::uint64_t> generation{3};
    webhook_registry registry(generation);
    BOOST_TEST(!registry.any_active());
    BOOST_TEST(registry.create(make_hook("a", "http://x/1")).value() == 3u);
    BOOST_TEST(registry.create(make_hook("b", "http://x/1", event_type::lesson_completion)).has_value());
    BOOST_TEST(registry.create(make_hook("c", "http://x/2", event_type::course_enrollment)).has_value());
    BOOST_TEST(!registry.create(make_hook("c", "http://x/3")).has_value());  // the id is taken
    BOOST_TEST(registry.any_active());

    auto lesson = registry.targets_for(event_type::lesson_completion);
    BOOST_REQUIRE(lesson.size() == 1u);  // a and b share the URL: once
    BOOST_TEST(lesson[0].id == "a");
    BOOST_TEST(registry.targets_for(event_type::course_enrollment).size() == 2u);

    registry.update("a", [](webhook& hook) { hook.active = false; });
    lesson = registry.targets_for(event_type::lesson_completion);
    BOOST_REQUIRE(lesson.size() == 1u);
    BOOST_TEST(lesson[0].id == "b");  // the next webhook on that URL takes over
    BOOST_TEST(registry.remove("b").has_value());
    BOOST_TEST(!registry.remove("b").has_value());
    BOOST_TEST(registry.targets_for(event_type::lesson_completion).empty());

    const auto changes = collect(registry);
    BOOST_TEST(changes.size() == 3u);
    BOOST_TEST(changes.at("b").empty());  // a tombstone
    BOOST_TEST(decode_webhook("a", changes.at("a")).value().active == false);
}

BOOST_AUTO_TEST_CASE(the_registry_is_bounded) {
    std::atomic<std::uint64_t> generation{1};
    webhook_registry registry(generation);
    for (std::size_t i = 0; i < max_webhooks; ++i) BOOST_TEST(registry.create(make_hook(std::to_string(i), "http://x/")).has_value());
    BOOST_TEST(!registry.create(make_hook("one-more", "http://x/")).has_value());
}

BOOST_AUTO_TEST_CASE(codecs_round_trip_and_refuse_damage) {
    auto hook = make_hook("h1", "http://example.com:8080/in?x=1", event_type::quiz_completion);
    hook.deactivate_reason = "HTTP 500";
    hook.basic_auth_username = "user";
    hook.basic_auth_password = "pass";
    hook.created_at = 42;
    const auto hook_bytes = encode_webhook(hook);
    BOOST_TEST((decode_webhook("h1", hook_bytes).value() == hook));
    BOOST_TEST(!decode_webhook("h1", hook_bytes.substr(0, hook_bytes.size() - 1)));
    BOOST_TEST(!decode_webhook("", hook_bytes));
    auto bad_type = hook_bytes;
    bad_type[2] = 9;
    BOOST_TEST(!decode_webhook("h1", bad_type));

    delivery value{"h1", make_event("e1", event_type::quiz_completion), 3, 77, "connect: refused"};
    value.event.quiz = quiz_outcome{"a1", 9, 10, true};
    const auto bytes = encode_delivery(value);
    BOOST_TEST((decode_delivery(bytes).value() == value));
    BOOST_TEST(!decode_delivery(bytes.substr(0, bytes.size() - 1)));
    BOOST_TEST(!decode_delivery(bytes + "x"));
    value.event.quiz.reset();
    BOOST_TEST((decode_delivery(encode_delivery(value)).value() == value));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(outbox)

BOOST_AUTO_TEST_CASE(deliveries_wait_for_durability_then_retry_with_backoff) {
    std::atomic<std::uint64_t> generation{7};
    event_outbox box(generation, {std::chrono::milliseconds(100), std::chrono::milliseconds(250), 4});
    const webhook_list targets{make_hook("a", "http://x/1"), make_hook("b", "http://x/2")};
    BOOST_TEST(box.publish(make_event("e1"), {}, 0) == 0u);  // nobody listens: nothing kept
    BOOST_TEST(box.publish(make_event("e1"), targets, 1000) == 7u);
    BOOST_TEST(box.size() == 2u);

    BOOST_TEST(box.take_due(1000, 6, 10).empty());  // generation 7 not durable yet
    auto due = box.take_due(1000, 7, 1);
    BOOST_REQUIRE(due.size() == 1u);
    BOOST_TEST(box.take_due(1000, 7, 10).size() == 1u);  // the other one; the first is in flight
    BOOST_TEST(box.take_due(1000, 7, 10).empty());

    BOOST_TEST(!box.finish(due[0].key, delivery_outcome::failed, 1000, "HTTP 503"));
    BOOST_TEST(box.take_due(1099, 7, 10).empty());
    due = box.take_due(1100, 7, 10);  // first backoff: 100 ms
    BOOST_REQUIRE(due.size() == 1u);
    BOOST_TEST(due[0].value.attempts == 1u);
    BOOST_TEST(due[0].value.last_error == "HTTP 503");
    BOOST_TEST(!box.finish(due[0].key, delivery_outcome::failed, 1100));
    BOOST_TEST(box.take_due(1299, 7, 10).empty());  // doubled: 200 ms
    due = box.take_due(1300, 7, 10);
    BOOST_REQUIRE(due.size() == 1u);
    BOOST_TEST(!box.finish(due[0].key, delivery_outcome::failed, 1300));
    BOOST_TEST(box.take_due(1549, 7, 10).empty());  // capped at 250 ms
    due = box.take_due(1550, 7, 10);
    BOOST_REQUIRE(due.size() == 1u);
    BOOST_TEST(box.finish(due[0].key, delivery_outcome::failed, 1550));  // the 4th: the last allowed
    BOOST_TEST(box.size() == 1u);
    BOOST_TEST(box.stats().failed_attempts == 4u);
    BOOST_TEST(box.stats().dropped == 1u);
}

BOOST_AUTO_TEST_CASE(delivered_and_dropped_deliveries_leave_tombstones) {
    std::atomic<std::uint64_t> generation{1};
    event_outbox box(generation, {});
    box.publish(make_event("e1"), {make_hook("a", "http://x/1"), make_hook("b", "http://x/2")}, 0);
    box.publish(make_event("e2"), {make_hook("a", "http://x/1")}, 0);
    BOOST_TEST(collect(box).size() == 3u);
    auto due = box.take_due(0, 1, 10);
    BOOST_REQUIRE(due.size() == 3u);
    for (const auto& item : due) {
        if (item.value.webhook_id == "b") box.finish(item.key, delivery_outcome::delivered, 0);
    }
    BOOST_TEST(box.drop_webhook("a") == 2u);
    BOOST_TEST(box.size() == 0u);
    const auto stats = box.stats();
    BOOST_TEST(stats.pending == 0u);
    BOOST_TEST(stats.delivered == 1u);
    BOOST_TEST(stats.dropped == 2u);
    BOOST_TEST(stats.failed_attempts == 0u);
    const auto changes = collect(box);
    BOOST_TEST(changes.size() == 3u);
    for (const auto& [key, value] : changes) BOOST_TEST(value.empty());
}

BOOST_AUTO_TEST_CASE(a_backlog_is_taken_oldest_first_and_dropped_whole) {
    std::atomic<std::uint64_t> generation{1};
    event_outbox box(generation, {});
    const webhook_list targets{make_hook("a", "http://x/1")};
    for (int i = 0; i < 10; ++i) box.publish(make_event("e" + std::to_string(i)), targets, i);
    auto first = box.take_due(5, 1, 3);
    BOOST_REQUIRE(first.size() == 3u);
    for (int i = 0; i < 3; ++i) BOOST_TEST(first[static_cast<std::size_t>(i)].value.event.id == "e" + std::to_string(i));
    box.finish(first[0].key, delivery_outcome::failed, 5);  // e0 waits for its backoff now
    const auto next = box.take_due(5, 1, 10);
    BOOST_REQUIRE(next.size() == 3u);  // e3..e5: e6..e9 are not due at 5
    BOOST_TEST(next[0].value.event.id == "e3");
    BOOST_TEST(box.drop_webhook("a") == 10u);  // waiting, in flight and backing off alike
    BOOST_TEST(box.take_due(1'000'000, 1, 100).empty());
    BOOST_TEST(box.size() == 0u);
}

BOOST_AUTO_TEST_CASE(pending_deliveries_survive_a_restart) {
    progressd::testing::temp_dir dir;
    const progressd::logger quiet{progressd::log_level::error};
    {
        auto environment = open_data_dir(dir.str(), std::size_t{1} << 20);
        progress_store store(4, {});
        webhook_registry registry(store.generation_counter());
        event_outbox box(store.generation_counter(), {});
        persister writer(store, environment, {durability_mode::sync, std::chrono::hours(1)}, quiet);
        writer.attach(registry, environment.webhooks());
        writer.attach(box, environment.outbox());
        writer.start();
        registry.create(make_hook("a", "http://x/1"));
        box.publish(make_event("e1"), registry.targets_for(event_type::lesson_completion), 5);
        const auto last = box.publish(make_event("e2"), registry.targets_for(event_type::lesson_completion), 6);
        auto due = box.take_due(6, last, 10);
        for (const auto& item : due) {
            if (item.value.event.id == "e2") box.finish(item.key, delivery_outcome::delivered, 6);
        }
        BOOST_TEST(writer.stop());
    }
    {
        auto environment = open_data_dir(dir.str(), std::size_t{1} << 20);
        std::atomic<std::uint64_t> generation{1};
        webhook_registry registry(generation);
        event_outbox box(generation, {});
        BOOST_TEST(recover_webhooks(environment, registry, quiet).records == 1u);
        BOOST_TEST(recover_outbox(environment, box, quiet).records == 1u);
        BOOST_TEST(registry.any_active());
        const auto due = box.take_due(6, 0, 10);  // recovered: durable already
        BOOST_REQUIRE(due.size() == 1u);
        BOOST_TEST((due[0].value.event == make_event("e1")));
    }
}

BOOST_AUTO_TEST_SUITE_END()
