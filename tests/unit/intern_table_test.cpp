#include "store/intern_table.hpp"
#include "test_names.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace progressd::store;

namespace {

using progressd::testing::named;

}  // namespace

BOOST_AUTO_TEST_SUITE(intern_table_suite)

BOOST_AUTO_TEST_CASE(the_same_text_gets_the_same_id) {
    intern_table strings;
    const auto a = strings.acquire("content-0001");
    const auto b = strings.acquire("content-0002");
    BOOST_TEST(a != b);
    BOOST_TEST(strings.acquire("content-0001") == a);
    BOOST_TEST(strings.text(a) == "content-0001");
    BOOST_TEST(strings.text(b) == "content-0002");
    BOOST_TEST(strings.references(a) == 2u);
    BOOST_TEST(strings.size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_empty_string_is_id_zero_and_never_counted) {
    intern_table strings;
    BOOST_TEST(strings.acquire("") == intern_table::empty_id);
    strings.release(intern_table::empty_id);
    strings.release(intern_table::empty_id);
    BOOST_TEST(strings.text(intern_table::empty_id).empty());
    BOOST_TEST(*strings.find("") == intern_table::empty_id);
    BOOST_TEST(strings.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_string_goes_with_its_last_reference_and_its_id_is_reused) {
    intern_table strings;
    const auto a = strings.acquire("a");
    strings.add_ref(a);
    strings.release(a);
    BOOST_TEST(strings.find("a").has_value());
    strings.release(a);
    BOOST_TEST(!strings.find("a").has_value());
    BOOST_TEST(strings.size() == 0u);
    const auto b = strings.acquire("b");
    BOOST_TEST(b == a);  // the freed id
    BOOST_TEST(strings.text(b) == "b");
}

BOOST_AUTO_TEST_CASE(texts_stay_valid_as_the_table_grows) {
    // Short strings sit in their std::string's own buffer, which moves whenever the string does:
    // a view handed out before thousands of inserts must still see its text (ASan would report a
    // moved-from buffer as a use after free).
    intern_table strings;
    std::vector<intern_table::id> ids;
    ids.push_back(strings.acquire(named("c", 0)));
    const std::string_view first = strings.text(ids[0]);
    for (int i = 1; i < 5000; ++i) ids.push_back(strings.acquire(named("c", i)));
    BOOST_TEST(first == named("c", 0));
    for (int i = 0; i < 5000; ++i) BOOST_TEST(strings.text(ids[i]) == named("c", i));
    BOOST_TEST(*strings.find("c4321") == ids[4321]);
}

BOOST_AUTO_TEST_SUITE_END()
