#include "server/agent_check.hpp"

#include "handlers/services.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>

using namespace progressd;
namespace net = boost::asio;
using tcp = net::ip::tcp;

BOOST_AUTO_TEST_SUITE(agent_check_suite)

BOOST_AUTO_TEST_CASE(the_line_follows_the_signal_and_the_operator) {
    server_status status;
    BOOST_TEST(agent_line(status) == "up ready\n");
    status.operator_state.store(availability::drain);
    BOOST_TEST(agent_line(status) == "drain\n");
    status.operator_state.store(availability::maint);
    BOOST_TEST(agent_line(status) == "maint\n");
    // SIGTERM's drain wins over anything an operator set: the node is leaving.
    status.draining.store(true);
    BOOST_TEST(agent_line(status) == "drain\n");
    status.operator_state.store(availability::ready);
    BOOST_TEST(agent_line(status) == "drain\n");
}

BOOST_AUTO_TEST_CASE(each_connection_gets_one_line_then_the_close) {
    server_status status;
    const logger log{log_level::error};
    net::io_context io;
    agent_check agent(io, status, log);
    const std::string address = agent.start("127.0.0.1", 0);
    const auto port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
    BOOST_TEST(port != 0);
    net::co_spawn(io, agent.serve(), net::detached);
    std::thread server([&io] { io.run(); });

    auto read_line = [port] {
        net::io_context client_io;
        tcp::socket socket(client_io);
        socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        std::string text;
        boost::system::error_code ec;
        net::read(socket, net::dynamic_buffer(text), ec);  // until the agent closes
        BOOST_TEST((ec == net::error::eof || !ec));
        return text;
    };
    BOOST_TEST(read_line() == "up ready\n");
    status.operator_state.store(availability::maint);
    BOOST_TEST(read_line() == "maint\n");

    net::post(io, [&agent] { agent.stop(); });
    server.join();
}

BOOST_AUTO_TEST_SUITE_END()
