#include "handlers/json/catalog_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;

namespace {

std::optional<api_error> parse_one(std::string_view json, store::content_entry& out,
                                   std::optional<std::string_view> path_id = std::nullopt) {
    return parse_content_entry(boost::json::parse(json).as_object(), {}, path_id, out);
}

std::vector<std::string> fields_of(const api_error& error) {
    std::vector<std::string> fields;
    for (const auto& field : error.errors) fields.push_back(field.field);
    return fields;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catalog_json_suite)

BOOST_AUTO_TEST_CASE(reads_every_field_and_writes_them_back) {
    store::content_entry entry;
    const auto error = parse_one(R"({"id":"c1","type":"course","title":"Intro","duration_seconds":600,
        "parent_id":"p","children":["a","b"],"optional":true,"attributes":{"thumbnail_url":"t"}})", entry);
    BOOST_REQUIRE(!error);
    BOOST_TEST(entry.id == "c1");
    BOOST_TEST(entry.type == "course");
    BOOST_TEST(entry.title == "Intro");
    BOOST_TEST(*entry.duration_seconds == 600.0);
    BOOST_TEST(entry.parent_id == "p");
    BOOST_TEST(entry.children == (std::vector<std::string>{"a", "b"}));
    BOOST_TEST(entry.optional);
    const auto json = content_entry_to_json(entry);
    BOOST_TEST(json.at("attributes").at("thumbnail_url").as_string() == "t");
    BOOST_TEST(json.at("children").as_array().size() == 2u);
    BOOST_TEST(json.at("learned").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(defaults_for_a_bare_entry) {
    store::content_entry entry;
    BOOST_REQUIRE(!parse_one(R"({"parent_id":null,"attributes":{}})", entry, "x"));
    BOOST_TEST(entry.id == "x");
    BOOST_TEST(entry.type == "content");
    BOOST_TEST(!entry.duration_seconds);
    BOOST_TEST(entry.parent_id.empty());
    BOOST_TEST(entry.attributes.empty());
    const auto json = content_entry_to_json(entry);
    BOOST_TEST(json.at("duration_seconds").is_null());
    BOOST_TEST(json.at("parent_id").is_null());
    BOOST_TEST(json.at("attributes").as_object().empty());
}

BOOST_AUTO_TEST_CASE(names_every_bad_field) {
    store::content_entry entry;
    const auto error = parse_one(R"({"id":"other","type":7,"duration_seconds":-1,"parent_id":"x",
        "children":["a","a","bad id","x"],"optional":"yes","attributes":[1]})", entry, "x");
    BOOST_REQUIRE(error);
    BOOST_TEST((error->code == error_code::validation));
    BOOST_TEST(fields_of(*error) == (std::vector<std::string>{"id", "type", "duration_seconds", "parent_id",
                                                               "children[1]", "children[2]", "children[3]",
                                                               "optional", "attributes"}));
}

BOOST_AUTO_TEST_CASE(lists_are_all_or_nothing_with_paths) {
    std::vector<store::content_entry> entries;
    BOOST_TEST(!parse_content_entries(boost::json::parse(R"([{"id":"a"},{"id":"b"}])"), 10, entries));
    BOOST_TEST(entries.size() == 2u);
    entries.clear();
    BOOST_TEST(!parse_content_entries(boost::json::parse(R"({"contents":[{"id":"a"}]})"), 10, entries));
    BOOST_TEST(entries.size() == 1u);
    entries.clear();
    auto error = parse_content_entries(boost::json::parse(R"([{"id":"a"},{"title":"no id"},3])"), 10, entries);
    BOOST_REQUIRE(error);
    BOOST_TEST(fields_of(*error) == (std::vector<std::string>{"[1].id", "[2]"}));
    BOOST_TEST(entries.empty());
    error = parse_content_entries(boost::json::parse(R"([{"id":"a"},{"id":"b"}])"), 1, entries);
    BOOST_REQUIRE(error);
    BOOST_TEST(parse_content_entries(boost::json::parse(R"({"id":"a"})"), 10, entries).has_value());
}

BOOST_AUTO_TEST_CASE(the_file_parser_says_what_is_wrong) {
    BOOST_TEST(parse_catalog_file(R"([{"id":"a","children":["b"]}])").size() == 1u);
    BOOST_CHECK_THROW(parse_catalog_file("[{"), std::runtime_error);
    try {
        parse_catalog_file(R"([{"id":"a"},{"id":"bad id"}])");
        BOOST_FAIL("no exception");
    } catch (const std::runtime_error& error) {
        BOOST_TEST(std::string(error.what()).find("[1].id") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
