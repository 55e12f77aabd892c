#include "store/user_records.hpp"
#include "test_names.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace progressd::store;

namespace {

using progressd::testing::named;

packed_record& add(user_records& records, intern_table& strings, std::string_view context, std::string_view content) {
    packed_record record;
    record.context = strings.acquire(context);
    record.content = strings.acquire(content);
    const auto at = records.locate(record.context, record.content);
    BOOST_REQUIRE(!at.found);
    return records.insert(at.index, std::move(record));
}

std::vector<std::string> page(const user_records& records, const intern_table& strings, std::size_t offset,
                              std::size_t limit) {
    std::vector<std::string> keys;
    for (const std::size_t i : records.key_order(strings, offset, limit)) {
        std::string key(strings.text(records[i].context));
        key += '/';
        key += strings.text(records[i].content);
        keys.push_back(std::move(key));
    }
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(user_records_suite)

BOOST_AUTO_TEST_CASE(locate_finds_by_ids_or_says_where_to_insert) {
    intern_table strings;
    user_records records;
    add(records, strings, "", "b").views = 2;
    add(records, strings, "", "d").views = 4;
    add(records, strings, "ctx", "b").views = 6;
    const auto b = records.locate(*strings.find(""), *strings.find("b"));
    BOOST_TEST(b.found);
    BOOST_TEST(records[b.index].views == 2u);
    const auto ctx_b = records.locate(*strings.find("ctx"), *strings.find("b"));
    BOOST_TEST(ctx_b.found);
    BOOST_TEST(records[ctx_b.index].views == 6u);
    const auto missing = records.locate(*strings.find("ctx"), *strings.find("d"));
    BOOST_TEST(!missing.found);
    for (std::size_t i = 1; i < records.size(); ++i) {
        BOOST_TEST((records[i - 1].context < records[i].context ||
                    (records[i - 1].context == records[i].context && records[i - 1].content < records[i].content)));
    }
}

BOOST_AUTO_TEST_CASE(key_order_pages_in_text_order_whatever_the_ids) {
    intern_table strings;
    user_records records;
    // Interned in an order unlike the text order, so the ids sort them differently.
    add(records, strings, "ctx", "a");
    add(records, strings, "", "c3");
    add(records, strings, "", "c1");
    add(records, strings, "", "c2");
    add(records, strings, "b", "z");
    const std::vector<std::string> all{"/c1", "/c2", "/c3", "b/z", "ctx/a"};
    BOOST_TEST(page(records, strings, 0, 10) == all, boost::test_tools::per_element());
    const std::vector<std::string> middle{"/c2", "/c3"};
    BOOST_TEST(page(records, strings, 1, 2) == middle, boost::test_tools::per_element());
    const std::vector<std::string> last{"ctx/a"};
    BOOST_TEST(page(records, strings, 4, 2) == last, boost::test_tools::per_element());
    BOOST_TEST(page(records, strings, 5, 2).empty());
    BOOST_TEST(page(records, strings, 0, 0).empty());
}

BOOST_AUTO_TEST_CASE(growth_stays_within_an_eighth_plus_a_little) {
    intern_table strings;
    user_records records;
    for (int i = 0; i < 1000; ++i) add(records, strings, "", named("content-", 100000 + i));
    BOOST_TEST(records.size() == 1000u);
    BOOST_TEST(records.capacity() <= 1000u + 1000u / 8 + 2);
    const auto first = records[0].content;
    records.erase(0);
    BOOST_TEST(records.size() == 999u);
    BOOST_TEST(!records.locate(intern_table::empty_id, first).found);
}

// Every dirty record stays inside [dirty_begin, dirty_end) through inserts (clean and dirty)
// before, inside and after the range, erases of dirty and clean records, and flags cleared one
// by one: the persister finds a user's changes only there.
BOOST_AUTO_TEST_CASE(the_dirty_range_holds_every_dirty_record_through_inserts_and_erases) {
    intern_table strings;
    user_records records;
    std::mt19937 random(20261207);
    const auto check = [&records] {
        BOOST_TEST_REQUIRE(records.dirty_end() <= records.size());  // the walk indexes up to it
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (!records[i].dirty) continue;
            BOOST_TEST_REQUIRE(records.dirty_begin() <= i);
            BOOST_TEST_REQUIRE(i < records.dirty_end());
        }
    };
    // Records sort by their content's intern id, so the contents are interned first and then
    // added in a shuffled order: each new record lands anywhere in the vector.
    std::vector<std::string> contents;
    for (int i = 0; i < 8000; ++i) {
        contents.push_back(named("c", i));
        strings.acquire(contents.back());
    }
    std::shuffle(contents.begin(), contents.end(), random);
    std::size_t next_content = 0;
    for (int step = 0; step < 20000 && next_content < contents.size(); ++step) {
        const auto pick = [&] { return std::uniform_int_distribution<std::size_t>(0, records.size() - 1)(random); };
        switch (random() % 5) {
            case 0:
            case 1: {
                packed_record& added = add(records, strings, "", contents[next_content++]);
                if (random() % 2 == 0) records.mark_dirty(added);
                break;
            }
            case 2:
                if (!records.empty()) records.mark_dirty(records[pick()]);
                break;
            case 3:
                if (!records.empty()) records[pick()].dirty = false;
                break;
            case 4:
                if (records.size() > 50) records.erase(pick());
                break;
        }
        check();
    }
    // A record inserted dirty widens the range as mark_dirty does.
    packed_record dirty_one;
    dirty_one.context = strings.acquire("");
    dirty_one.content = strings.acquire("zzz-last");
    dirty_one.dirty = true;
    const auto at = records.locate(dirty_one.context, dirty_one.content);
    records.insert(at.index, std::move(dirty_one));
    check();
    for (std::size_t i = 0; i < records.size(); ++i) records[i].dirty = false;
    records.all_clean();
    BOOST_TEST(records.dirty_begin() >= records.dirty_end());
    records.mark_dirty(records[3]);
    BOOST_TEST(records.dirty_begin() == 3u);
    BOOST_TEST(records.dirty_end() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
