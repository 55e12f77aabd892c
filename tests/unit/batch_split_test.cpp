#include "handlers/native/batch_split.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

using namespace progressd;
namespace json = boost::json;

namespace {

// Groups by a fixed table of users; any other user (or none) goes to group 0.
auto by_table(std::map<std::string, std::size_t> table) {
    return [table = std::move(table)](std::string_view user) {
        const auto found = table.find(std::string(user));
        return found == table.end() ? std::size_t{0} : found->second;
    };
}

json::array pings_of(const std::string& body) { return json::parse(body).as_object().at("pings").as_array(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(batch_split_test)

BOOST_AUTO_TEST_CASE(pings_go_to_their_users_groups_in_order) {
    const std::string body = R"({"pings":[
        {"user_id":"a","content_id":"c1","position_seconds":1.5},
        {"user_id":"b","content_id":"c2"},
        {"user_id":"a","content_id":"c3"},
        {"user_id":"c","content_id":"c4"},
        {"content_id":"no-user"},
        7,
        {"user_id":42,"content_id":"numeric-user"}]})";
    const auto parts = split_batch(body, 3, by_table({{"a", 1}, {"b", 2}, {"c", 2}}));
    BOOST_REQUIRE(parts);
    BOOST_TEST(parts->ping_count == 7u);
    BOOST_TEST(parts->positions[0] == (std::vector<std::size_t>{4, 5, 6}));
    BOOST_TEST(parts->positions[1] == (std::vector<std::size_t>{0, 2}));
    BOOST_TEST(parts->positions[2] == (std::vector<std::size_t>{1, 3}));

    const auto first = pings_of(parts->bodies[1]);
    BOOST_REQUIRE_EQUAL(first.size(), 2u);
    BOOST_TEST(first[0].at("content_id").as_string() == "c1");
    BOOST_TEST(first[0].at("position_seconds").to_number<double>() == 1.5);
    BOOST_TEST(first[1].at("content_id").as_string() == "c3");
    const auto rest = pings_of(parts->bodies[0]);
    BOOST_REQUIRE_EQUAL(rest.size(), 3u);
    BOOST_TEST(rest[1].as_int64() == 7);
    BOOST_TEST(pings_of(parts->bodies[2])[1].at("user_id").as_string() == "c");
}

BOOST_AUTO_TEST_CASE(a_group_without_pings_has_no_body_and_other_members_travel_with_each_part) {
    const auto parts = split_batch(R"({"pings":[{"user_id":"a"}],"note":{"x":1}})", 3, by_table({{"a", 2}}));
    BOOST_REQUIRE(parts);
    BOOST_TEST(parts->bodies[0].empty());
    BOOST_TEST(parts->bodies[1].empty());
    BOOST_TEST(parts->positions[0].empty());
    const auto part = json::parse(parts->bodies[2]).as_object();
    BOOST_TEST(part.at("note").at("x").as_int64() == 1);
    BOOST_TEST(part.at("pings").as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_body_the_handler_refuses_whole_is_not_split) {
    const auto to_zero = [](std::string_view) { return std::size_t{0}; };
    BOOST_TEST(!split_batch("", 1, to_zero));
    BOOST_TEST(!split_batch("{", 1, to_zero));
    BOOST_TEST(!split_batch("[]", 1, to_zero));
    BOOST_TEST(!split_batch(R"({"pings":[]})", 1, to_zero));
    BOOST_TEST(!split_batch(R"({"pings":{}})", 1, to_zero));
    BOOST_TEST(!split_batch(R"({"other":[1]})", 1, to_zero));
}

BOOST_AUTO_TEST_CASE(the_parts_answers_merge_back_in_the_batchs_order) {
    batch_results results(5);
    BOOST_TEST(!results.complete());
    const std::vector<std::size_t> first{0, 3};
    const std::vector<std::size_t> second{1, 2};
    const std::vector<std::size_t> third{4};
    BOOST_TEST(results.place(R"({"results":[{"status":200,"n":0},{"status":200,"n":3}]})", first));
    BOOST_TEST(results.place(R"({"results":[{"status":200,"n":1},{"status":422,"n":2}]})", second));
    BOOST_TEST(!results.complete());
    results.fill(batch_error_item({error_code::unavailable, "moving", {}, {}}), third);
    BOOST_TEST(results.complete());

    const auto merged = json::parse(results.text()).as_object().at("results").as_array();
    BOOST_REQUIRE_EQUAL(merged.size(), 5u);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(merged[i].at("n").as_int64() == static_cast<std::int64_t>(i));
    BOOST_TEST(merged[2].at("status").as_int64() == 422);
    BOOST_TEST(merged[4].at("status").as_int64() == 503);
    BOOST_TEST(merged[4].at("error").at("status").as_int64() == 503);
    BOOST_TEST(merged[4].at("error").at("detail").as_string() == "moving");
}

BOOST_AUTO_TEST_CASE(an_answer_that_does_not_fit_its_part_places_nothing) {
    batch_results results(2);
    const std::vector<std::size_t> both{0, 1};
    BOOST_TEST(!results.place(R"({"results":[{"status":200}]})", both));        // one item short
    BOOST_TEST(!results.place(R"({"results":[1,2,3]})", both));                 // one too many
    BOOST_TEST(!results.place(R"({"type":"about:blank","status":401})", both)); // a whole-request error
    BOOST_TEST(!results.place("not json", both));
    const std::vector<std::size_t> outside{0, 2};
    BOOST_TEST(!results.place(R"({"results":[1,2]})", outside));
    BOOST_TEST(!results.complete());
    BOOST_TEST(results.text() == R"({"results":[null,null]})");
}

BOOST_AUTO_TEST_CASE(an_items_field_paths_name_the_batchs_pings_not_the_parts) {
    batch_results results(9);
    const std::vector<std::size_t> part{2, 7, 8};
    const auto answer = R"({"results":[{"status":200},
        {"status":422,"error":{"status":422,"errors":[{"field":"pings[1].position_seconds","message":"m"},
                                                      {"field":"pings[1]","message":"m"},
                                                      {"field":"pings[9].x","message":"no such ping in the part"},
                                                      {"field":"other","message":"m"}]}},
        {"status":422,"error":{"status":422,"errors":[{"field":"pings[2].user_id","message":"m"}]}}]})";
    BOOST_REQUIRE(results.place(answer, part));
    const auto merged = json::parse(results.text()).as_object().at("results").as_array();
    const auto& errors = merged[7].at("error").at("errors").as_array();
    BOOST_TEST(errors[0].at("field").as_string() == "pings[7].position_seconds");
    BOOST_TEST(errors[1].at("field").as_string() == "pings[7]");
    BOOST_TEST(errors[2].at("field").as_string() == "pings[9].x");
    BOOST_TEST(errors[3].at("field").as_string() == "other");
    BOOST_TEST(merged[8].at("error").at("errors").as_array()[0].at("field").as_string() == "pings[8].user_id");
    BOOST_TEST(merged[2].at("status").as_int64() == 200);
}

BOOST_AUTO_TEST_CASE(a_failed_parts_answer_becomes_its_pings_items) {
    const api_error otherwise{error_code::unavailable, "unreachable", {}, {}};
    const auto kept = json::parse(batch_failed_item(503, R"({"status":503,"detail":"not durable"})", otherwise));
    BOOST_TEST(kept.at("status").as_int64() == 503);
    BOOST_TEST(kept.at("error").at("detail").as_string() == "not durable");
    const auto replaced = json::parse(batch_failed_item(502, "<html>bad gateway</html>", otherwise));
    BOOST_TEST(replaced.at("status").as_int64() == 503);
    BOOST_TEST(replaced.at("error").at("detail").as_string() == "unreachable");
}

BOOST_AUTO_TEST_CASE(a_parts_answer_is_its_items_its_pings_failure_or_the_whole_requests) {
    batch_results results(6);
    const std::vector<std::size_t> served{0, 5};
    const std::vector<std::size_t> unavailable{1};
    const std::vector<std::size_t> garbled{2};
    const std::vector<std::size_t> refused{3, 4};
    using outcome = batch_results::outcome;
    BOOST_TEST((results.absorb(200, R"({"results":[{"status":200},{"status":200}]})", served) == outcome::placed));
    BOOST_TEST((results.absorb(503, R"({"status":503,"detail":"not durable"})", unavailable) == outcome::failed));
    BOOST_TEST((results.absorb(200, R"({"results":[]})", garbled) == outcome::failed));
    BOOST_TEST((results.absorb(401, R"({"status":401})", refused) == outcome::whole));
    BOOST_TEST((results.absorb(413, "", refused) == outcome::whole));
    BOOST_TEST(!results.complete());  // the whole request's failure placed nothing

    const auto merged = json::parse(results.text()).as_object().at("results").as_array();
    BOOST_TEST(merged[0].at("status").as_int64() == 200);
    BOOST_TEST(merged[1].at("status").as_int64() == 503);
    BOOST_TEST(merged[1].at("error").at("detail").as_string() == "not durable");
    BOOST_TEST(merged[2].at("status").as_int64() == 503);
    BOOST_TEST(merged[3].is_null());
    BOOST_TEST(merged[5].at("status").as_int64() == 200);
}

BOOST_AUTO_TEST_SUITE_END()
