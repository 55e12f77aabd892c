#include "store/postgres/connection.hpp"

#include "pg_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <bit>

using namespace progressd::store;
using progressd::testing::fresh_database;
using progressd::testing::postgres_installed;

BOOST_AUTO_TEST_SUITE(pg_connection, *boost::unit_test::precondition(postgres_installed{}))

BOOST_AUTO_TEST_CASE(a_server_that_is_not_there_is_an_error_value) {
    auto opened = connection::open("host=/nonexistent-progressd-socket-dir port=1 user=postgres connect_timeout=2");
    BOOST_REQUIRE(!opened.ok());
    BOOST_TEST(static_cast<int>(opened.error().code) == static_cast<int>(pg_errc::connection_failed));
    BOOST_TEST(!opened.error().message.empty());
}

BOOST_AUTO_TEST_CASE(errors_carry_the_sqlstate) {
    auto conn = fresh_database();
    BOOST_TEST(conn.healthy());
    BOOST_TEST(conn.server_version() >= 150000);
    auto divided = conn.exec("SELECT 1/0");
    BOOST_REQUIRE(!divided.ok());
    BOOST_TEST(divided.error().sqlstate == "22012");
    BOOST_TEST(static_cast<int>(divided.error().code) == static_cast<int>(pg_errc::statement_failed));
    BOOST_TEST(divided.error().message.find("division by zero") != std::string::npos);

    BOOST_REQUIRE(conn.exec("CREATE TABLE t (k int PRIMARY KEY)").ok());
    BOOST_REQUIRE(conn.exec("INSERT INTO t VALUES (1)").ok());
    auto duplicate = conn.exec("INSERT INTO t VALUES (1)");
    BOOST_REQUIRE(!duplicate.ok());
    BOOST_TEST(duplicate.error().sqlstate == "23505");
    BOOST_TEST(conn.healthy());  // a refused statement leaves the connection usable
}

BOOST_AUTO_TEST_CASE(binary_parameters_and_results_are_exact) {
    auto conn = fresh_database();
    query_params params;
    params.add_int64(-1234567890123456789);
    std::string bits;
    pg_binary::put_double(bits, 0.1 + 0.2);
    params.add_binary(bits);
    params.add_text("héllo ✓");
    params.add_null();
    auto result = conn.exec("SELECT $1::int8, $2::float8, $3::text, $4::int8", params, result_format::binary);
    BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.error().message));
    BOOST_TEST(result->int64(0, 0).value() == -1234567890123456789);
    BOOST_TEST(std::bit_cast<std::uint64_t>(result->float8(0, 1).value()) == std::bit_cast<std::uint64_t>(0.1 + 0.2));
    BOOST_TEST(result->text(0, 2).value() == "héllo ✓");
    BOOST_TEST(!result->int64(0, 3).has_value());
    BOOST_TEST(!result->int32(0, 0).has_value());            // a wrong width is refused
}

BOOST_AUTO_TEST_CASE(prepared_statements_are_reused) {
    auto conn = fresh_database();
    static constexpr statement add{"test_add", "SELECT ($1::int8 + 1)::text"};
    for (int i = 0; i < 3; ++i) {
        query_params params;
        params.add_int64(i);
        auto result = conn.run(add, params);
        BOOST_REQUIRE(result.ok());
        BOOST_TEST(result->text(0, 0).value() == std::to_string(i + 1));
    }
    auto count = conn.exec("SELECT count(*)::text FROM pg_prepared_statements WHERE name = 'test_add'");
    BOOST_REQUIRE(count.ok());
    BOOST_TEST(count->text(0, 0).value() == "1");
}

BOOST_AUTO_TEST_SUITE_END()
