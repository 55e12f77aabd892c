#include "common/file_descriptor.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <fcntl.h>
#include <utility>

using progressd::file_descriptor;

namespace {

bool is_open_in_process(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

int open_dev_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

BOOST_AUTO_TEST_SUITE(file_descriptor_suite)

BOOST_AUTO_TEST_CASE(closes_what_it_owns_when_it_goes) {
    int fd = -1;
    {
        const file_descriptor owner(open_dev_null());
        fd = owner.get();
        BOOST_TEST_REQUIRE(owner.is_open());
        BOOST_TEST(is_open_in_process(fd));
    }
    BOOST_TEST(!is_open_in_process(fd));
}

BOOST_AUTO_TEST_CASE(a_move_hands_the_descriptor_over_and_closes_nothing) {
    file_descriptor first(open_dev_null());
    const int fd = first.get();
    file_descriptor second(std::move(first));
    BOOST_TEST(!first.is_open());  // NOLINT(bugprone-use-after-move): a moved-from one owns nothing
    BOOST_TEST(second.get() == fd);
    BOOST_TEST(is_open_in_process(fd));
}

BOOST_AUTO_TEST_CASE(assigning_over_an_open_one_closes_it) {
    file_descriptor target(open_dev_null());
    const int old_fd = target.get();
    file_descriptor source(open_dev_null());
    const int new_fd = source.get();
    target = std::move(source);
    BOOST_TEST(target.get() == new_fd);
    BOOST_TEST(!is_open_in_process(old_fd));
    BOOST_TEST(is_open_in_process(new_fd));
}

BOOST_AUTO_TEST_CASE(a_failed_open_owns_nothing) {
    const file_descriptor failed(::open("/nonexistent/progressd-test", O_RDONLY | O_CLOEXEC));
    BOOST_TEST(!failed.is_open());
    BOOST_TEST(failed.get() == -1);
}

BOOST_AUTO_TEST_SUITE_END()
