#include "handlers/json/iso8601.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;

BOOST_AUTO_TEST_SUITE(iso8601)

BOOST_AUTO_TEST_CASE(parses_iso8601_forms) {
    BOOST_TEST(*parse_iso8601("1970-01-01T00:00:01Z") == 1000);
    BOOST_TEST(*parse_iso8601("2015-06-03T01:02:03.012345Z") == 1433293323012);
    BOOST_TEST(*parse_iso8601("2015-06-03T03:02:03.012+02:00") == 1433293323012);
    BOOST_TEST(*parse_iso8601("2018-03-12T10:12:45Z") == 1520849565000);
    BOOST_TEST(*parse_iso8601("2018-03-12 10:12") == 1520849520000);
    BOOST_TEST(!parse_iso8601("2018-02-30T10:12:45Z"));
    BOOST_TEST(!parse_iso8601("2019-02-29T10:12:45Z"));
    BOOST_TEST(!parse_iso8601("yesterday"));
    BOOST_TEST(!parse_iso8601("2018-03-12T10:12:45Zjunk"));
    BOOST_TEST(!parse_iso8601("2018-03-12T10:12:45."));
}

BOOST_AUTO_TEST_CASE(writes_whole_seconds_when_asked) {
    BOOST_TEST(iso8601_or_null(1566656122000, iso8601_precision::seconds) == "2019-08-24T14:15:22Z");
    BOOST_TEST(iso8601_or_null(1566656122999, iso8601_precision::seconds) == "2019-08-24T14:15:22Z");
    BOOST_TEST(iso8601_or_null(0, iso8601_precision::seconds).is_null());
}

BOOST_AUTO_TEST_SUITE_END()
