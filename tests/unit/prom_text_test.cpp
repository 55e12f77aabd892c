#include "tools/prom_text.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

using namespace progressd::tools;

BOOST_AUTO_TEST_SUITE(prom_text)

BOOST_AUTO_TEST_CASE(samples_labels_and_values_are_read) {
    const auto parsed = parse_prom_text(
        "# HELP progressd_records Progress records in memory.\n"
        "# TYPE progressd_records gauge\n"
        "progressd_records 42\n"
        "progressd_requests_total{route=\"/v1/progress\",method=\"POST\",status=\"200\"} 7\n"
        "progressd_requests_total{route=\"unmatched\",status=\"404\"} 1\r\n"
        "odd{v=\"a \\\"quoted\\\" \\\\ back\\nslash\",} 1.5e-3 1700000000000\n"
        "\n"
        "up{le=\"+Inf\"} +Inf\n"
        "down -Inf\n"
        "gone NaN\n");
    BOOST_TEST(parsed.error.empty(), parsed.error);
    BOOST_REQUIRE(parsed.samples.size() == 7u);
    BOOST_TEST(parsed.samples[0].name == "progressd_records");
    BOOST_TEST(parsed.samples[0].labels.empty());
    BOOST_TEST(parsed.samples[0].value == 42);
    const auto& post = parsed.samples[1];
    BOOST_TEST(post.labels.size() == 3u);
    BOOST_TEST(*post.label("route") == "/v1/progress");
    BOOST_TEST(*post.label("method") == "POST");
    BOOST_TEST(!parsed.samples[2].label("method"));
    BOOST_TEST(parsed.samples[2].value == 1);
    BOOST_TEST(*parsed.samples[3].label("v") == "a \"quoted\" \\ back\nslash");
    BOOST_TEST(parsed.samples[3].value == 0.0015);
    BOOST_TEST(std::isinf(parsed.samples[4].value));
    BOOST_TEST(parsed.samples[5].value < 0);
    BOOST_TEST(std::isnan(parsed.samples[6].value));
}

BOOST_AUTO_TEST_CASE(malformed_lines_are_reported_with_their_number) {
    BOOST_TEST(parse_prom_text("ok 1\n{x=\"1\"} 2\n").error == "line 2: no metric name");
    BOOST_TEST(parse_prom_text("a{x=1} 2\n").error == "line 1: bad label");
    BOOST_TEST(parse_prom_text("a{x=\"1} 2\n").error == "line 1: unterminated label value");
    BOOST_TEST(parse_prom_text("a\n").error == "line 1: no value");
    BOOST_TEST(parse_prom_text("a 12abc\n").error == "line 1: bad value");
    BOOST_TEST(parse_prom_text("a{x=\"1\"}2\n").error == "line 1: no value");
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_like_promql) {
    const double inf = std::numeric_limits<double>::infinity();
    // 100 observations: 50 up to 0.1, 40 more up to 0.2, 10 more up to 0.4.
    const std::vector<prom_bucket> buckets{{0.4, 100}, {0.1, 50}, {0.2, 90}, {inf, 100}};
    BOOST_TEST(*histogram_quantile(0.5, buckets) == 0.1);
    BOOST_TEST(std::abs(*histogram_quantile(0.7, buckets) - 0.15) < 1e-12);
    BOOST_TEST(std::abs(*histogram_quantile(0.99, buckets) - 0.38) < 1e-12);
    BOOST_TEST(std::abs(*histogram_quantile(0.25, buckets) - 0.05) < 1e-12);  // the first bucket starts at 0
    // A rank past the highest finite bound: that bound, as PromQL answers.
    BOOST_TEST(*histogram_quantile(0.99, {{0.1, 1}, {inf, 100}}) == 0.1);
    BOOST_TEST(!histogram_quantile(0.99, {{0.1, 0}, {inf, 0}}));   // no observations
    BOOST_TEST(!histogram_quantile(0.99, {{0.1, 3}}));             // no +Inf bucket
    BOOST_TEST(!histogram_quantile(0.99, {}));
}

BOOST_AUTO_TEST_SUITE_END()
