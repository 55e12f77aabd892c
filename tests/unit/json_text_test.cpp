#include "handlers/json_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <limits>

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

BOOST_AUTO_TEST_CASE(non_finite_doubles_become_null) {
    BOOST_TEST(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())) == "null");
    BOOST_TEST(to_json_text(boost::json::value(std::numeric_limits<double>::quiet_NaN())) == "null");
}

BOOST_AUTO_TEST_CASE(strings_are_escaped) {
    BOOST_TEST(to_json_text(boost::json::value("a\"b\\c\n\x01")) == R"("a\"b\\c\u000a\u0001")");
    BOOST_TEST(to_json_text(boost::json::value("\xc3\xa9")) == "\"\xc3\xa9\"");  // UTF-8 passes through
}

BOOST_AUTO_TEST_CASE(documents_round_trip) {
    const auto text = R"({"a":[1,-2,18446744073709551615,true,false,null,"x"],"b":{"c":2.5,"d":{}},"e":[]})";
    const auto value = boost::json::parse(text);
    BOOST_TEST(to_json_text(value) == text);
    BOOST_TEST(boost::json::parse(to_json_text(value)) == value);
}

BOOST_AUTO_TEST_SUITE_END()
