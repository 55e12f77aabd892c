#include "handlers/json/record_json.hpp"

#include "handlers/json/json_text.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

using namespace progressd;

namespace {

// Doubles of the shapes records hold: whole seconds, one or two decimals, long fractions, large.
double some_number(std::mt19937_64& random) {
    std::uniform_int_distribution<int> shape(0, 4);
    std::uniform_real_distribution<double> any(0, 100000);
    switch (shape(random)) {
        case 0: return 0;
        case 1: return static_cast<double>(static_cast<long>(any(random)));
        case 2: return static_cast<double>(static_cast<long>(any(random) * 100)) / 100;
        case 3: return any(random) / 3;
        default: return any(random) * 1e9;
    }
}

store::progress_record some_record(std::mt19937_64& random) {
    store::progress_record record;
    for (auto& byte : record.record_id) byte = static_cast<std::uint8_t>(random());
    record.status = static_cast<store::progress_status>(random() % 3);
    record.progress_percent = some_number(random);
    record.position_seconds = some_number(random);
    record.duration_seconds = some_number(random);
    record.time_spent_seconds = some_number(random);
    record.views = static_cast<std::uint32_t>(random());
    record.first_accessed_at = static_cast<std::int64_t>(random() >> 20);
    record.last_accessed_at = static_cast<std::int64_t>(random() >> 20);
    record.updated_at = static_cast<std::int64_t>(random() >> 20);
    record.completed_at = random() % 2 ? 0 : static_cast<std::int64_t>(random() >> 20);
    record.watched = {random(), random() & 0xfffffffff};
    record.hidden = random() % 2;
    if (random() % 2) record.mimetype = random() % 2 ? "video/mp4" : "text/\"odd\"\\\n\x01";
    return record;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_json_suite)

BOOST_AUTO_TEST_CASE(direct_record_text_is_the_dom_text) {
    std::mt19937_64 random(7);
    for (int i = 0; i < 2000; ++i) {
        const auto record = some_record(random);
        const store::record_key key{i % 3 ? "" : "course-\"1\"", "content-" + std::to_string(i)};
        std::string direct;
        append_record_json(direct, "user-é", key, record);
        BOOST_TEST_REQUIRE(direct == to_json_text(record_to_json("user-é", key, record)));
    }
}

BOOST_AUTO_TEST_CASE(records_with_details_keep_their_dom_text) {
    std::mt19937_64 random(11);
    auto record = some_record(random);
    record.details = R"({"b":[1,2.5,{"c":null}],"a":"x\"y"})";
    const store::record_key key{"", "c"};
    std::string direct = "prefix";
    append_record_json(direct, "u", key, record);
    BOOST_TEST(direct == "prefix" + to_json_text(record_to_json("u", key, record)));
    BOOST_TEST(direct.find(R"("details":{"b":[1,2.5,{"c":null}],"a":"x\"y"})") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(direct_summary_text_is_the_dom_text) {
    std::mt19937_64 random(13);
    for (int i = 0; i < 2000; ++i) {
        const auto summary = store::summarize(some_record(random));
        std::string direct;
        append_summary_json(direct, i % 2 ? "ctx" : "", "content", summary);
        BOOST_TEST_REQUIRE(direct == to_json_text(summary_to_json(i % 2 ? "ctx" : "", "content", summary)));
    }
}

BOOST_AUTO_TEST_SUITE_END()
