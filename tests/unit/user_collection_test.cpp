#include "store/user_collection.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

using progressd::store::user_collection;
using progressd::store::progress_record;

namespace {

progress_record at_position(double seconds) {
    progress_record record;
    record.position_seconds = seconds;
    return record;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(user_collection_suite)

// Contents come in the catalog's order, not sorted; some have no record; lookups are by any view.
BOOST_AUTO_TEST_CASE(each_content_finds_its_own_record) {
    const std::vector<std::string> ids = {"lesson-10", "lesson-2", "quiz", "lesson-1", "a-very-long-lesson-identifier"};
    std::vector<std::optional<progress_record>> records = {at_position(10), std::nullopt, at_position(3),
                                                           at_position(1), at_position(42)};
    const user_collection collection(ids, records);
    BOOST_TEST(collection.record("lesson-10")->position_seconds == 10.0);
    BOOST_TEST(collection.record("quiz")->position_seconds == 3.0);
    BOOST_TEST(collection.record(std::string("lesson-1"))->position_seconds == 1.0);
    BOOST_TEST(collection.record("a-very-long-lesson-identifier")->position_seconds == 42.0);
    BOOST_TEST(collection.record("lesson-2") == nullptr);  // under the collection, never played
    for (const char* stranger : {"", "lesson", "lesson-3", "zzz", "lesson-10x"}) {
        BOOST_TEST(collection.record(stranger) == nullptr, stranger);
    }
}

BOOST_AUTO_TEST_CASE(a_moved_collection_still_finds_its_records) {
    std::vector<std::string> ids;
    std::vector<std::optional<progress_record>> records;
    for (int i = 0; i < 200; ++i) {
        ids.push_back("content-" + std::to_string(i * 7919 % 200));
        records.push_back(at_position(i));
    }
    user_collection first(ids, records);
    const user_collection moved = std::move(first);
    for (int i = 0; i < 200; ++i) {
        BOOST_TEST_REQUIRE(moved.record(ids[static_cast<std::size_t>(i)]) != nullptr);
        BOOST_TEST(moved.record(ids[static_cast<std::size_t>(i)])->position_seconds == static_cast<double>(i));
    }
    BOOST_TEST(user_collection({}, {}).record("x") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
