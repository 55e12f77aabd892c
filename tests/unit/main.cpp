#define BOOST_TEST_MODULE progressd unit tests
#include <boost/test/unit_test.hpp>
