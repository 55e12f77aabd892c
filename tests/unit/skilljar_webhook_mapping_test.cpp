#include "handlers/compat/skilljar/skilljar_webhook_mapping.hpp"

#include "handlers/json/webhook_payload.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;
using namespace progressd::skilljar;

BOOST_AUTO_TEST_SUITE(webhook_mapping)

BOOST_AUTO_TEST_CASE(writes_are_validated_field_by_field) {
    field_errors errors;
    auto write = parse_webhook_write(boost::json::parse(R"({"target_url":"http://h/x","event_type":null,
        "active":false,"basic_auth_username":"u","basic_auth_password":"p","secret":"0123456789abcdef"})").as_object(),
                                     true, errors);
    BOOST_TEST(errors.empty());
    store::webhook hook;
    hook.deactivate_reason = "old";
    apply_webhook_write(hook, write);
    BOOST_TEST(hook.target_url == "http://h/x");
    BOOST_TEST(!hook.only);
    BOOST_TEST(!hook.active);
    BOOST_TEST(hook.deactivate_reason == "old");
    BOOST_TEST(hook.secret == "0123456789abcdef");
    apply_webhook_write(hook, parse_webhook_write(boost::json::parse(R"({"active":true,"event_type":"QUIZ_COMPLETION"})").as_object(),
                                                  false, errors));
    BOOST_TEST(errors.empty());
    BOOST_TEST(hook.active);
    BOOST_TEST(hook.deactivate_reason.empty());  // re-activated
    BOOST_TEST((hook.only == store::event_type::quiz_completion));

    parse_webhook_write(boost::json::object{}, true, errors);
    BOOST_TEST(errors.at("target_url").front() == "This field is required.");
    errors.clear();
    parse_webhook_write(boost::json::object{}, false, errors);
    BOOST_TEST(errors.empty());  // a PATCH may change nothing
    parse_webhook_write(boost::json::parse(R"({"target_url":"http://h/","event_type":"X","active":1,"secret":"short",
        "basic_auth_username":5})").as_object(), true, errors);
    BOOST_TEST(errors.at("event_type").front() == "\"X\" is not a valid choice.");
    BOOST_TEST(errors.at("active").front() == "Must be a valid boolean.");
    BOOST_TEST(errors.count("secret") == 1u);
    BOOST_TEST(errors.at("basic_auth_username").front() == "Not a valid string.");
}

BOOST_AUTO_TEST_CASE(listing_shows_no_secret) {
    store::webhook hook;
    hook.id = "h1";
    hook.target_url = "http://h/";
    hook.secret = "s";
    const auto listed = webhook_to_json(hook, false);
    BOOST_TEST(listed.size() == 5u);
    BOOST_TEST(listed.at("event_type").is_null());
    BOOST_TEST(listed.at("deactivate_reason").is_null());
    BOOST_TEST(webhook_to_json(hook, true).at("secret").as_string() == "s");
}

BOOST_AUTO_TEST_CASE(payload_and_signature) {
    store::progress_event event;
    event.id = "e1";
    event.type = store::event_type::quiz_completion;
    event.occurred_at = 1'700'000'000'123;
    event.user_id = "u1";
    event.content_id = "q1";
    event.quiz = store::quiz_outcome{"a1", 9, 10, true};
    const auto body = boost::json::parse(webhook_body(event)).as_object();
    BOOST_TEST(body.at("type").as_string() == "QUIZ_COMPLETION");
    BOOST_TEST(body.at("created_at").as_string() == "2023-11-14T22:13:20.123000Z");
    const auto& payload = body.at("payload").as_object();
    BOOST_TEST(payload.at("course").is_null());
    BOOST_TEST(payload.at("lesson").at("id").as_string() == "q1");
    BOOST_TEST(payload.at("quiz").at("passed").as_bool());
    // HMAC-SHA256("key", "1.body"), computed independently (Python's hmac module).
    BOOST_TEST(webhook_signature("key", 1, "body") ==
               "sha256=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5");
    BOOST_TEST(webhook_signature("key", 2, "body") != webhook_signature("key", 1, "body"));
}

BOOST_AUTO_TEST_SUITE_END()
