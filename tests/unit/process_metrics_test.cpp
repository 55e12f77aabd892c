#include "handlers/ops/process_metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

using namespace progressd;

BOOST_AUTO_TEST_SUITE(process_metrics)

// A real /proc/self/stat line, its command holding a space and a parenthesis.
constexpr std::string_view stat_line =
    "4242 (progress d)) S 1 4242 4242 0 -1 4194560 1510 0 0 0 250 130 0 0 20 0 3 0 "
    "9000 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

BOOST_AUTO_TEST_CASE(proc_stat_fields_after_the_command) {
    const auto figures = parse_proc_stat(stat_line, 1'700'000'000, 100, 4096);
    BOOST_REQUIRE(figures.cpu_seconds);
    BOOST_TEST(*figures.cpu_seconds == 3.8);             // (250 + 130) ticks / 100
    BOOST_TEST(*figures.start_time_seconds == 1'700'000'090.0);  // boot + 9000 / 100
    BOOST_TEST(*figures.virtual_bytes == 123456789.0);
    BOOST_TEST(*figures.resident_bytes == 2048.0 * 4096);
}

BOOST_AUTO_TEST_CASE(a_truncated_line_reports_nothing) {
    const auto figures = parse_proc_stat("4242 (progressd) S 1 4242", 1'700'000'000, 100, 4096);
    BOOST_TEST(!figures.cpu_seconds);
    BOOST_TEST(!figures.resident_bytes);
    BOOST_TEST(!parse_proc_stat("no parenthesis", 0, 100, 4096).cpu_seconds);
}

BOOST_AUTO_TEST_CASE(this_process_and_its_exposition) {
    const auto figures = read_process_figures(read_boot_time_seconds());
    BOOST_REQUIRE(figures.resident_bytes);
    BOOST_TEST(*figures.resident_bytes > 0);
    BOOST_REQUIRE(figures.open_fds);
    BOOST_TEST(*figures.open_fds >= 3);  // stdin, stdout, stderr
    exposition out;
    render_process_metrics(out, figures);
    const std::string text = out.take();
    BOOST_TEST(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ") != std::string::npos);
    BOOST_TEST(text.find("\nprocess_open_fds ") != std::string::npos);
    BOOST_TEST(text.find("progressd_") == std::string::npos);  // the standard names, unprefixed
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative_with_inf) {
    exposition out;
    const std::array<std::uint64_t, 3> counts{2, 0, 1};
    const std::array<double, 2> bounds{0.001, 0.5};
    out.histogram("flush_duration_seconds", {}, counts, bounds, 1.25);
    out.histogram("request_duration_seconds", "route=\"unmatched\"", counts, bounds, 0);
    BOOST_TEST(out.take() ==
               "progressd_flush_duration_seconds_bucket{le=\"0.001\"} 2\n"
               "progressd_flush_duration_seconds_bucket{le=\"0.5\"} 2\n"
               "progressd_flush_duration_seconds_bucket{le=\"+Inf\"} 3\n"
               "progressd_flush_duration_seconds_sum 1.25\n"
               "progressd_flush_duration_seconds_count 3\n"
               "progressd_request_duration_seconds_bucket{route=\"unmatched\",le=\"0.001\"} 2\n"
               "progressd_request_duration_seconds_bucket{route=\"unmatched\",le=\"0.5\"} 2\n"
               "progressd_request_duration_seconds_bucket{route=\"unmatched\",le=\"+Inf\"} 3\n"
               "progressd_request_duration_seconds_sum{route=\"unmatched\"} 0\n"
               "progressd_request_duration_seconds_count{route=\"unmatched\"} 3\n");
    BOOST_TEST(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

BOOST_AUTO_TEST_SUITE_END()
