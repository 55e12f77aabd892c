#define BOOST_TEST_MODULE progressd PostgreSQL tests
#include <boost/test/unit_test.hpp>
