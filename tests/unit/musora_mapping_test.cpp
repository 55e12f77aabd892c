#include "handlers/compat/musora/musora_mapping.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace progressd;
using namespace progressd::musora;

namespace {

store::catalog_snapshot catalog_with(std::vector<store::content_entry> entries) {
    store::catalog_snapshot empty;
    store::catalog_draft draft(empty);
    for (auto& entry : entries) draft.put(std::move(entry));
    return *draft.publish();
}

store::content_entry entry(std::string id, std::string type, std::string title, std::optional<double> duration,
                          std::vector<std::string> children, std::string attributes) {
    store::content_entry result;
    result.id = std::move(id);
    result.type = std::move(type);
    result.title = std::move(title);
    result.duration_seconds = duration;
    result.children = std::move(children);
    result.attributes = std::move(attributes);
    return result;
}

store::node_progress leaf(std::string id, store::progress_status status, double percent, double duration) {
    store::node_progress node;
    node.content_id = std::move(id);
    node.in_catalog = true;
    node.status = status;
    node.progress_percent = percent;
    node.duration_seconds = duration;
    return node;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(musora_mapping_suite)

BOOST_AUTO_TEST_CASE(numeric_ids_render_as_numbers) {
    BOOST_TEST(id_value("283669") == 283669);
    BOOST_TEST(id_value("0") == 0);
    BOOST_TEST(id_value("007") == "007");
    BOOST_TEST(id_value("lesson-1") == "lesson-1");
    BOOST_TEST(id_value("99999999999999999999") == "99999999999999999999");
}

BOOST_AUTO_TEST_CASE(parent_has_the_documents_shape) {
    const auto catalog = catalog_with({
        entry("283669", "course", "Heavy Metal Drum Fills", 1690, {"292037", "292039"},
              R"({"thumbnail_url":"t.png","xp":1700,"xp_bonus":"500","instructors":["Ash Pearson"]})"),
        entry("292037", "course-part", "What Makes A Fill", 92, {}, R"({"published_on":"2021/02/20 16:00:00"})"),
        entry("292039", "course-part", "Triplets", 532, {}, R"({"length_in_seconds":532})"),
    });
    store::node_progress parent = leaf("283669", store::progress_status::in_progress, 10.4, 1690);
    parent.collection = true;
    parent.children = {leaf("292037", store::progress_status::in_progress, 40, 92),
                       leaf("292039", store::progress_status::not_started, 0, 532)};
    parent.current_child_id = "292037";
    const auto json = parent_to_json(catalog, parent);
    BOOST_TEST(json.at("id") == 283669);
    BOOST_TEST(json.at("type") == "course");
    BOOST_TEST(json.at("title") == "Heavy Metal Drum Fills");
    BOOST_TEST(json.at("thumbnail_url") == "t.png");
    BOOST_TEST(json.at("xp") == 1700);
    BOOST_TEST(json.at("xp_bonus") == "500");
    BOOST_TEST(json.at("started") == true);
    BOOST_TEST(json.at("completed") == false);
    BOOST_TEST(json.at("progress_percent") == 10);
    BOOST_TEST(json.at("duration") == 1690);
    BOOST_TEST(json.at("is_added_to_primary_playlist") == false);
    BOOST_TEST(json.at("like_count") == 0);
    BOOST_TEST(json.at("instructor") == boost::json::array{});
    const auto& lessons = json.at("lessons").as_array();
    BOOST_TEST(lessons.size() == 2u);
    BOOST_TEST(lessons[0].at("id") == 292037);
    BOOST_TEST(lessons[0].at("length_in_seconds") == "92");
    BOOST_TEST(lessons[0].at("published_on") == "2021/02/20 16:00:00");
    BOOST_TEST(lessons[0].at("started") == true);
    BOOST_TEST(lessons[0].at("progress_percent") == 40);
    BOOST_TEST(lessons[1].at("length_in_seconds") == "532");  // a numeric attribute becomes text
    BOOST_TEST(lessons[1].at("started") == false);
    BOOST_TEST(lessons[1].at("thumbnail_url").is_null());
    BOOST_TEST(json.at("current_lesson") == lessons[0]);
}

BOOST_AUTO_TEST_CASE(no_current_lesson_without_required_children) {
    const auto catalog = catalog_with({entry("c", "course", "", std::nullopt, {}, "")});
    store::node_progress parent;
    parent.content_id = "c";
    parent.collection = true;
    const auto json = parent_to_json(catalog, parent);
    BOOST_TEST(json.at("current_lesson").is_null());
    BOOST_TEST(json.at("lessons").as_array().empty());
    BOOST_TEST(json.at("duration").is_null());
}

BOOST_AUTO_TEST_SUITE_END()
