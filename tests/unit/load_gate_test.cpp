#include "server/load_gate.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace progressd;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

using clock_type = std::chrono::steady_clock;

// Runs one wait on the gate; when it returned, measured from the start.
net::awaitable<void> timed_wait(load_gate& gate, clock_type::duration bound, clock_type::time_point start,
                                clock_type::duration& took) {
    co_await gate.wait(bound);
    took = clock_type::now() - start;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(load_gate_suite)

BOOST_AUTO_TEST_CASE(a_wait_ends_at_its_bound_when_the_load_does_not) {
    net::io_context io;
    load_gate gate(io);
    clock_type::duration took{};
    net::co_spawn(io, timed_wait(gate, 50ms, clock_type::now(), took), net::detached);
    io.run();
    BOOST_TEST(took >= 50ms);
    BOOST_TEST(!gate.is_open());
}

BOOST_AUTO_TEST_CASE(opening_wakes_every_waiter_before_its_bound) {
    net::io_context io;
    load_gate gate(io);
    const auto start = clock_type::now();
    clock_type::duration first{}, second{};
    net::co_spawn(io, timed_wait(gate, 10s, start, first), net::detached);
    net::co_spawn(io, timed_wait(gate, 10s, start, second), net::detached);
    net::steady_timer loaded(io, 20ms);
    loaded.async_wait([&](boost::system::error_code) { gate.open(); });
    io.run();
    BOOST_TEST(first < 5s);
    BOOST_TEST(second < 5s);
    BOOST_TEST(gate.is_open());
}

BOOST_AUTO_TEST_CASE(an_open_gate_does_not_wait) {
    net::io_context io;
    load_gate gate(io);
    gate.open();
    clock_type::duration took = 1h;
    net::co_spawn(io, timed_wait(gate, 10s, clock_type::now(), took), net::detached);
    io.run();
    BOOST_TEST(took < 1s);
}

BOOST_AUTO_TEST_CASE(probes_are_the_ops_paths_only) {
    for (const char* target : {"/livez", "/healthz", "/readyz", "/readyz?verbose=1", "/metrics", "/openapi.json"}) {
        BOOST_TEST(is_probe_target(target), target);
    }
    for (const char* target : {"/v1/progress", "/livez/x", "/v1/ops/availability", "/", "/readyzz"}) {
        BOOST_TEST(!is_probe_target(target), target);
    }
}

BOOST_AUTO_TEST_SUITE_END()
