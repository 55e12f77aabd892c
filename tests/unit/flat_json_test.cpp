#include "handlers/json/flat_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <random>
#include <optional>
#include <string>
#include <vector>

using progressd::exact_decimal;
using progressd::flat_kind;
using progressd::flat_object;
using progressd::scan_flat_object;
using progressd::small_integer;

namespace {

bool scans(std::string_view body) {
    flat_object object;
    return scan_flat_object(body, object);
}

// Whatever the scanner accepts, Boost.JSON must accept too, with the same members.
void check_agrees_with_boost(std::string_view body) {
    flat_object object;
    if (!scan_flat_object(body, object)) return;
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec);
    BOOST_TEST_REQUIRE(!ec, "accepted but not JSON: " << body);
    BOOST_TEST_REQUIRE(value.is_object());
    for (std::size_t i = 0; i < object.size; ++i) {
        const auto& member = object.members[i];
        const auto* parsed = value.as_object().if_contains(member.key);
        BOOST_TEST_REQUIRE(parsed != nullptr);
        switch (member.kind) {
            case flat_kind::string: BOOST_TEST(parsed->is_string()); break;
            case flat_kind::number: BOOST_TEST(parsed->is_number()); break;
            case flat_kind::null: BOOST_TEST(parsed->is_null()); break;
            case flat_kind::boolean: BOOST_TEST(parsed->is_bool()); break;
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(flat_json)

BOOST_AUTO_TEST_CASE(a_flat_object_is_read_member_by_member) {
    flat_object object;
    BOOST_TEST_REQUIRE(scan_flat_object(
        " {\"user_id\":\"user-000001\", \"position_seconds\" : 312.5,\n\"n\":null,\"b\":true,\"f\":false}\r\n", object));
    BOOST_TEST_REQUIRE(object.size == 5u);
    BOOST_TEST(object.members[0].key == "user_id");
    BOOST_TEST(object.members[0].text == "user-000001");
    BOOST_TEST((object.members[0].kind == flat_kind::string));
    BOOST_TEST(object.members[1].text == "312.5");
    BOOST_TEST((object.members[1].kind == flat_kind::number));
    BOOST_TEST((object.members[2].kind == flat_kind::null));
    BOOST_TEST((object.members[3].kind == flat_kind::boolean));
    BOOST_TEST(object.members[4].text == "false");
    BOOST_TEST(scans("{}"));
    BOOST_TEST(scans(" { } "));
}

BOOST_AUTO_TEST_CASE(malformed_json_is_not_handled) {
    for (const char* body : {"", " ", "{", "}", "[]", "\"x\"", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
                             "{\"a\":1 \"b\":2}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
                             "{\"a\":-}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}",
                             "{\"a\":1}x", "{\"a\":1}{}", "{a:1}", "{'a':1}", "{\"a\":\"x}", "{\"a\":1", "\xef\xbb\xbf{}"}) {
        BOOST_TEST(!scans(body), body);
    }
}

BOOST_AUTO_TEST_CASE(what_needs_the_full_parser_is_not_handled) {
    for (const char* body : {"{\"a\":{}}", "{\"a\":[1]}", "{\"a\":\"\\n\"}", "{\"\\u0061\":1}", "{\"a\":\"\xc3\xa9\"}",
                             "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"tab\there\"}"}) {
        BOOST_TEST(!scans(body), body);
    }
    std::string many = "{";
    for (std::size_t i = 0; i <= progressd::max_flat_members; ++i) {
        many += "\"k";
        many += std::to_string(i);
        many += "\":1,";
    }
    many.back() = '}';
    BOOST_TEST(!scans(many));
}

BOOST_AUTO_TEST_CASE(long_strings_are_checked_at_every_byte) {
    // Strings are scanned 16 bytes at a time: a byte that ends or spoils a string must be found
    // wherever it sits in a block, and a run of plain bytes must be read whole.
    const std::string filler(40, 'a');
    for (std::size_t at = 0; at < filler.size(); ++at) {
        for (const char odd : {'"', '\\', '\x7f', '\x80', '\xff', '\x00', '\x1f', '\n'}) {
            std::string text = filler;
            text[at] = odd;
            const std::string body = "{\"key\":\"" + text + "\",\"" + text + "\":1}";
            BOOST_TEST(!scans(body), "byte " << int(static_cast<unsigned char>(odd)) << " at " << at);
            check_agrees_with_boost(body);
        }
    }
    flat_object object;
    const std::string long_body = "{\"" + filler + "\":\"" + filler + filler + " ~!\"}";
    BOOST_TEST_REQUIRE(scan_flat_object(long_body, object));
    BOOST_TEST(object.members[0].key == filler);
    BOOST_TEST(object.members[0].text == filler + filler + " ~!");
    check_agrees_with_boost(long_body);
}

BOOST_AUTO_TEST_CASE(valid_numbers_of_every_form_are_scanned) {
    for (const char* body : {"{\"a\":0}", "{\"a\":-0}", "{\"a\":-1.5}", "{\"a\":1e5}", "{\"a\":1E+5}", "{\"a\":1.25e-3}",
                             "{\"a\":123456789012345678901234567890}"}) {
        BOOST_TEST(scans(body), body);
        check_agrees_with_boost(body);
    }
}

BOOST_AUTO_TEST_CASE(exact_decimals_match_boost_json) {
    for (const char* literal : {"0", "5", "600", "312.5", "0.1", "0.3", "99.99", "1700000000123", "123456789012345",
                                "1.23456789012345", "0.00000000000001", "9999999.999999"}) {
        const auto number = exact_decimal(literal);
        BOOST_TEST_REQUIRE(number.has_value(), literal);
        BOOST_TEST(*number == boost::json::parse(literal).to_number<double>(), literal);
    }
    std::mt19937_64 random(42);
    for (int i = 0; i < 20000; ++i) {
        char literal[32];
        const int fraction = static_cast<int>(random() % 8);
        const auto whole = random() % 10'000'000;
        const auto part = random() % 10'000'000;
        const int length = fraction == 0
            ? std::snprintf(literal, sizeof literal, "%llu", static_cast<unsigned long long>(whole))
            : std::snprintf(literal, sizeof literal, "%llu.%0*llu", static_cast<unsigned long long>(whole), fraction,
                            static_cast<unsigned long long>(part));
        const std::string_view text(literal, static_cast<std::size_t>(length));
        const auto number = exact_decimal(text);
        if (!number) continue;  // more than 15 digits
        BOOST_TEST_REQUIRE(*number == boost::json::parse(text).to_number<double>(), text);
    }
}

BOOST_AUTO_TEST_CASE(numbers_outside_the_exact_range_are_left_to_boost_json) {
    for (const char* literal : {"-1", "-0", "1e3", "1.5E2", "1234567890123456", "0.1234567890123456", "", "1.2.3", "x"}) {
        BOOST_TEST(!exact_decimal(literal).has_value(), literal);
    }
}

BOOST_AUTO_TEST_CASE(small_integers) {
    BOOST_TEST(small_integer("0").value() == 0);
    BOOST_TEST(small_integer("1700000000123").value() == 1700000000123);
    BOOST_TEST(small_integer("999999999999999").value() == 999999999999999);
    for (const char* literal : {"", "-1", "1.0", "1e3", "1000000000000000", "12a"}) {
        BOOST_TEST(!small_integer(literal).has_value(), literal);
    }
}

namespace {

// The items scan_flat_object_array passes on, as their first members' texts; nullopt when it declines.
std::optional<std::vector<std::string>> array_items(std::string_view body) {
    std::vector<std::string> items;
    const bool handled = progressd::scan_flat_object_array(body, "pings", [&items](const flat_object& item) {
        items.emplace_back(item.size > 0 ? item.members[0].text : "");
        return true;
    });
    if (!handled) return std::nullopt;
    return items;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_array_of_flat_objects_under_one_key_is_read_item_by_item) {
    const auto items = array_items(" {\"pings\" : [ {\"a\":\"1\"},{\"a\":\"}2,\"} ,\n{}, {\"a\":\"3\",\"b\":4} ] } ");
    BOOST_TEST_REQUIRE(items.has_value());
    BOOST_TEST(*items == (std::vector<std::string>{"1", "}2,", "", "3"}), boost::test_tools::per_element());
    BOOST_TEST(array_items(R"({"pings":[]})").value().empty());
    for (const char* body : {R"({"other":[{}]})", R"({"pings":[{}],"x":1})", R"({"x":1,"pings":[{}]})",
                             R"({"pings":[{"a":[1]}]})", R"({"pings":[{"a":{}}]})", R"({"pings":[1]})",
                             R"({"pings":[{},]})", R"({"pings":[{}})", R"({"pings":[{}]})" "x", R"({"pings":{}})",
                             R"([{"pings":[]}])", R"({"pings":[{"a":"\n"}]})", R"({"pi\u006egs":[]})", "",
                             R"({"pings":[{}] )", R"({"pings":[{} {}]})"}) {
        BOOST_TEST(!array_items(body).has_value(), body);
    }
}

BOOST_AUTO_TEST_CASE(an_array_scan_stops_when_an_item_is_refused) {
    int calls = 0;
    const bool handled = progressd::scan_flat_object_array(R"({"pings":[{},{},{}]})", "pings", [&calls](const flat_object&) {
        return ++calls < 2;
    });
    BOOST_TEST(!handled);
    BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()
