#include "handlers/json/json_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>

using progressd::to_json_text;

BOOST_AUTO_TEST_SUITE(json_text)

BOOST_AUTO_TEST_CASE(doubles_print_in_shortest_plain_form) {
    BOOST_TEST(to_json_text(boost::json::value(52.0)) == "52");
    BOOST_TEST(to_json_text(boost::json::value(0.0)) == "0");
    BOOST_TEST(to_json_text(boost::json::value(312.5)) == "312.5");
    BOOST_TEST(to_json_text(boost::json::value(0.1)) == "0.1");
    BOOST_TEST(to_json_text(boost::json::value(52.083333333333336)) == "52.083333333333336");
    BOOST_TEST(to_json_text(boost::json::value(-0.0)) == "0");
    BOOST_TEST(to_json_text(boost::json::value(1e7)) == "10000000");
    BOOST_TEST(to_json_text(boost::json::value(1e300)) == "1e+300");
}

// The one- and two-decimal fast path must write exactly what std::to_chars writes, for the
// decimals it takes and for their neighbours, which it must leave to to_chars.
BOOST_AUTO_TEST_CASE(short_decimals_match_to_chars) {
    std::mt19937_64 random(42);
    auto expected = [](double number) {
        char buffer[32];
        return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, number).ptr);
    };
    auto written = [](double number) {
        std::string out;
        progressd::append_json_number(out, number);
        return out;
    };
    for (int i = 0; i < 200000; ++i) {
        const std::int64_t k = static_cast<std::int64_t>(random() % 100'000'000'000'000ull);
        for (const double base : {static_cast<double>(k) / 10.0, static_cast<double>(k) / 100.0,
                                  static_cast<double>(k % 100000) / 100.0}) {
            if (base == std::trunc(base)) continue;  // the integer path
            for (const double number : {base, -base, std::nextafter(base, 0.0), std::nextafter(base, 1e300)}) {
                BOOST_TEST(written(number) == expected(number), number);
            }
        }
    }
    BOOST_TEST(written(312.5) == "312.5");
    BOOST_TEST(written(52.08) == "52.08");
    BOOST_TEST(written(1.05) == "1.05");
    BOOST_TEST(written(-7.5) == "-7.5");
    BOOST_TEST(written(0.5) == "0.5");  // below 1: to_chars
}

BOOST_AUTO_TEST_CASE(non_finite_doubles_become_null) {
    BOOST_TEST(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())) == "null");
    BOOST_TEST(to_json_text(boost::json::value(std::numeric_limits<double>::quiet_NaN())) == "null");
}

BOOST_AUTO_TEST_CASE(strings_are_escaped) {
    BOOST_TEST(to_json_text(boost::json::value("a\"b\\c\n\x01")) == R"("a\"b\\c\u000a\u0001")");
    BOOST_TEST(to_json_text(boost::json::value("\xc3\xa9")) == "\"\xc3\xa9\"");  // UTF-8 passes through
}

// Every ASCII byte at the start, inside and at the end of a string, with and without escapes before
// it, appended after text already there: Boost.JSON reads back the same string, the prefix is kept.
BOOST_AUTO_TEST_CASE(every_ascii_byte_round_trips_wherever_it_sits) {
    for (int byte = 0; byte < 0x80; ++byte) {
        const char c = static_cast<char>(byte);
        for (const std::string& text : {std::string(1, c), "id-" + std::string(1, c), std::string(1, c) + "-id",
                                        "a\"b" + std::string(1, c) + "c\n", std::string(20, 'x') + c + "y"}) {
            std::string out = "[1,";
            progressd::append_json_string(out, text);
            BOOST_TEST_REQUIRE(out.substr(0, 3) == "[1,");
            BOOST_TEST_REQUIRE(boost::json::parse(out + "]").as_array().at(1).as_string() == text);
        }
    }
    std::string out;
    progressd::append_json_string(out, "");
    BOOST_TEST(out == "\"\"");
}

BOOST_AUTO_TEST_CASE(documents_round_trip) {
    const auto text = R"({"a":[1,-2,18446744073709551615,true,false,null,"x"],"b":{"c":2.5,"d":{}},"e":[]})";
    const auto value = boost::json::parse(text);
    BOOST_TEST(to_json_text(value) == text);
    BOOST_TEST(boost::json::parse(to_json_text(value)) == value);
}

BOOST_AUTO_TEST_SUITE_END()
