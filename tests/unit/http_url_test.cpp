#include "common/http_url.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace progressd;

BOOST_AUTO_TEST_SUITE(http_url)

BOOST_AUTO_TEST_CASE(http_urls_are_split_and_others_refused) {
    auto target = parse_http_url("http://example.com/hooks?a=1");
    BOOST_REQUIRE(target);
    BOOST_TEST(target->host == "example.com");
    BOOST_TEST(target->port == "80");
    BOOST_TEST(target->target == "/hooks?a=1");
    target = parse_http_url("HTTP://127.0.0.1:9000");
    BOOST_REQUIRE(target);
    BOOST_TEST(target->port == "9000");
    BOOST_TEST(target->target == "/");
    target = parse_http_url("http://[::1]:81/x#frag");
    BOOST_REQUIRE(target);
    BOOST_TEST(target->host == "::1");
    BOOST_TEST(target->target == "/x");
    target = parse_http_url("http://h?q");
    BOOST_REQUIRE(target);
    BOOST_TEST(target->target == "/?q");
    for (const char* bad : {"https://example.com/", "ftp://x/", "http://", "http://:80/", "http://h:0/",
                            "http://h:65536/", "http://h:8a/", "http://user@h/", "http://h /x", "http://[::1/",
                            "example.com"}) {
        BOOST_TEST(!parse_http_url(bad), bad);
    }
    BOOST_TEST(!parse_http_url("http://h/" + std::string(max_http_url_length, 'a')));
}

BOOST_AUTO_TEST_SUITE_END()
