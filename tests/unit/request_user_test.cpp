#include "handlers/request_user.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/jwt.hpp"
#include "handlers/compat/skilljar/skilljar_mapping.hpp"

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace progressd;
using kind = request_user::kind;

namespace {

using header_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

request_user find(http::verb method, std::string_view target, header_list headers, std::string_view body = {}) {
    http_request request(method, target, 11);
    for (const auto& [name, value] : headers) request.add_field(name, value);
    request.set_body(body);
    return find_request_user(request);
}

std::string jwt(std::string_view user) { return auth::sign_hs256("request-user-test-secret", user, 1'700'000'000, 0); }
std::string bearer_jwt(std::string_view user) { return "Bearer " + jwt(user); }
// A token shaped like a JWT around any payload text (the signature is never looked at).
std::string jwt_with_payload(std::string_view payload) {
    return auth::base64url_encode(R"({"alg":"HS256"})") + "." + auth::base64url_encode(payload) + ".c2ln";
}

const std::string api_key = "Bearer service-api-key";
const std::string basic_key = "Basic " + auth::base64_encode("service-api-key:");

// The one user, or "" when the request names none, or "several" for a batch of several.
std::string user_of(const request_user& found) {
    switch (found.what) {
        case kind::none: return "";
        case kind::one: return found.id;
        case kind::several: return "several";
    }
    return "?";
}

std::string service(http::verb method, std::string_view target, std::string_view body = {},
                    std::string_view content_type = "application/json") {
    return user_of(find(method, target, {{"Authorization", api_key}, {"Content-Type", content_type}}, body));
}

std::string as_user(std::string_view user, http::verb method, std::string_view target, std::string_view body = {}) {
    return user_of(find(method, target, {{"Authorization", bearer_jwt(user)}}, body));
}

using v = http::verb;

}  // namespace

BOOST_AUTO_TEST_SUITE(request_user_finding)

BOOST_AUTO_TEST_CASE(a_user_token_decides_wherever_the_route_acts_on_a_user) {
    // The body, query and path name others (the handler answers 403 there), or `me`.
    BOOST_TEST(as_user("alice", v::post, "/v1/progress", R"({"user_id":"bob","content_id":"c"})") == "alice");
    BOOST_TEST(as_user("alice", v::post, "/v1/progress", "not json at all: a user's body is never read") == "alice");
    BOOST_TEST(as_user("alice", v::get, "/v1/progress/c1?user_id=bob") == "alice");
    BOOST_TEST(as_user("alice", v::get, "/v1/users/me/continue?limit=20") == "alice");
    BOOST_TEST(as_user("alice", v::get, "/v1/users/bob/progress") == "alice");
    BOOST_TEST(as_user("alice", v::post, "/v1/progress/batch",
                       R"({"pings":[{"user_id":"bob","content_id":"a"},{"user_id":"carol","content_id":"b"}]})") == "alice");
    BOOST_TEST(as_user("alice", v::post, "/v1/view/update", R"({"request":{"userId":"bob"}})") == "alice");
    BOOST_TEST(as_user("alice@example.org:x.y", v::get, "/api/v1/education/progress/c1") == "alice@example.org:x.y");
    // Scheme names are case-insensitive, whitespace around the value is not part of it.
    BOOST_TEST(user_of(find(v::get, "/v1/progress/c1", {{"authorization", "  bEaReR \t" + jwt("alice") + " "}})) == "alice");
}

BOOST_AUTO_TEST_CASE(x_authenticated_user_token_alone_decides_when_present) {
    const std::string target = "/v1/view/read";
    const std::string body = R"({"request":{"userId":"bob"}})";
    BOOST_TEST(user_of(find(v::post, target, {{"x-authenticated-user-token", jwt("alice")}, {"authorization", bearer_jwt("carol")}},
                            body)) == "alice");
    BOOST_TEST(user_of(find(v::post, target, {{"X-Authenticated-User-Token", "Bearer " + jwt("alice")}, {"authorization", api_key}},
                            body)) == "alice");
    // A user token that is no JWT is 401 where it arrives: no fallback to the key beside it.
    BOOST_TEST(user_of(find(v::post, target, {{"x-authenticated-user-token", "garbage"}, {"authorization", api_key}}, body)) == "");
    BOOST_TEST(user_of(find(v::get, "/v1/summary/list/bob", {{"x-authenticated-user-token", "a.b.c"}, {"authorization", basic_key}})) == "");
    // Present but blank: as if absent.
    BOOST_TEST(user_of(find(v::post, target, {{"x-authenticated-user-token", "  "}, {"authorization", api_key}}, body)) == "bob");
}

BOOST_AUTO_TEST_CASE(a_bearer_value_that_is_no_jwt_with_a_sub_is_a_service_naming_its_user) {
    const std::string path = "/v1/users/bob/progress";
    const auto via = [&](const std::string& token) { return user_of(find(v::get, path, {{"Authorization", "Bearer " + token}})); };
    BOOST_TEST(via("not.a.jwt") == "bob");                                   // segments that are not base64url JSON
    BOOST_TEST(via("an-api-key") == "bob");                                  // no dots
    BOOST_TEST(via(jwt("alice") + ".x") == "bob");                          // four segments
    BOOST_TEST(via(jwt_with_payload(R"(["sub","alice"])")) == "bob");        // not an object
    BOOST_TEST(via(jwt_with_payload(R"({"iat":1})")) == "bob");              // no sub
    BOOST_TEST(via(jwt_with_payload(R"({"sub":42})")) == "bob");             // not a string
    BOOST_TEST(via(jwt_with_payload(R"({"sub":"a b"})")) == "bob");          // not an id
    BOOST_TEST(via(jwt_with_payload(R"({"sub":")" + std::string(129, 'a') + "\"}")) == "bob");
    BOOST_TEST(via(jwt_with_payload(R"({"sub":"alice")")) == "bob");         // truncated JSON
    // Padding is not base64url as JWS writes it.
    BOOST_TEST(via(auth::base64url_encode("{}") + "." + auth::base64url_encode(R"({"sub":"al"})") + "=.c2ln") == "bob");
    BOOST_TEST(via(std::string(9000, 'a') + "." + auth::base64url_encode(R"({"sub":"alice"})") + ".c2ln") == "bob");  // too long
}

BOOST_AUTO_TEST_CASE(a_jwt_payload_outside_the_flat_subset_is_read_like_the_verifier_reads_it) {
    const auto sub = [](std::string_view payload) {
        return user_of(find(v::get, "/v1/progress/c1", {{"Authorization", "Bearer " + jwt_with_payload(payload)}}));
    };
    BOOST_TEST(sub(R"({"sub":"alice","roles":["a","b"],"ctx":{"org":1}})") == "alice");  // nested
    BOOST_TEST(sub(R"({"name":"J\u00e9r\u00f4me","sub":"alice"})") == "alice");            // escapes
    BOOST_TEST(sub(R"({"sub":"al\u0069ce"})") == "alice");
    BOOST_TEST(sub(R"({"sub":"bob","sub":"alice"})") == "alice");                          // Boost.JSON keeps the last
    BOOST_TEST(sub(R"({"sub":"bob","x":[1],"sub":"alice"})") == "alice");
}

BOOST_AUTO_TEST_CASE(no_or_refused_credentials_name_nobody) {
    const std::string target = "/v1/users/bob/progress";
    BOOST_TEST(user_of(find(v::get, target, {})) == "");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", "Bearer"}})) == "");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", "Bearer   "}})) == "");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", "Digest " + jwt("alice")}})) == "");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", "Basic !!!"}})) == "");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", basic_key}})) == "bob");
    BOOST_TEST(user_of(find(v::get, target, {{"Authorization", "basic " + auth::base64_encode("key-without-colon")}})) == "bob");
}

BOOST_AUTO_TEST_CASE(routes_that_act_on_no_user_are_nobodys_whatever_the_credentials) {
    for (const auto& [method, target] : std::vector<std::pair<v, std::string>>{
             {v::get, "/livez"}, {v::get, "/healthz"}, {v::get, "/readyz"}, {v::get, "/metrics"}, {v::get, "/openapi.json"},
             {v::get, "/v1/contents/c1"}, {v::put, "/v1/contents/c1?user_id=bob"}, {v::post, "/v1/contents:import"},
             {v::get, "/v1/webhooks"}, {v::post, "/v1/webhooks"}, {v::delete_, "/v1/webhooks/w1"}, {v::get, "/v1/ping"},
             {v::get, "/v1/domains/d/published-courses/c1/enrollments?user_id=bob"},  // every user of a course
             // No such route (404 or 405 where it arrives).
             {v::get, "/v1/nope?user_id=bob"}, {v::put, "/v1/progress/c1?user_id=bob"}, {v::get, "/v1/users/bob/"},
             {v::get, "/v1/users/bob/nope"}, {v::post, "/v1/users/bob/progress"}, {v::get, "/v1/progress/?user_id=bob"},
             {v::get, "/v1/users/bob/published-courses/c/lessons/l/x/y"}, {v::get, "v1/users/bob/progress"},
             {v::get, "http://host/v1/users/bob/progress"}, {v::get, "/v1//users/bob/progress"}}) {
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(as_user("alice", method, target) == "");
            BOOST_TEST(service(method, target, R"({"user_id":"bob"})") == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(native_paths_name_the_user_percent_decoded_and_me_means_nothing_to_a_service) {
    for (const auto& [method, target] : std::vector<std::pair<v, std::string>>{
             {v::get, "/v1/users/{}/progress?page=2"}, {v::get, "/v1/users/{}/export"}, {v::delete_, "/v1/users/{}"},
             {v::get, "/v1/users/{}/enrolments"}, {v::get, "/v1/users/{}/enrolments/c1"}, {v::put, "/v1/users/{}/enrolments/c1"},
             {v::delete_, "/v1/users/{}/enrolments/c1"}, {v::get, "/v1/users/{}/continue"}, {v::delete_, "/v1/users/{}/continue/c1"},
             {v::head, "/v1/users/{}/export"}}) {
        const auto with = [&](std::string_view user) {
            std::string path = target;
            return path.replace(path.find("{}"), 2, user);
        };
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(service(method, with("bob")) == "bob");
            BOOST_TEST(user_of(find(method, with("bob"), {{"Authorization", basic_key}})) == "bob");
            BOOST_TEST(service(method, with("svc%40x.org")) == "svc@x.org");
            BOOST_TEST(service(method, with("%61%6c%69%63%65")) == "alice");
            BOOST_TEST(service(method, with("me")) == "");           // 422 for a service
            BOOST_TEST(service(method, with("a%20b")) == "");        // not an id
            BOOST_TEST(service(method, with("a+b")) == "");          // '+' is '+' in a path
            BOOST_TEST(service(method, with("a%2Fb")) == "");
            BOOST_TEST(service(method, with(std::string(128, 'x'))) == std::string(128, 'x'));
            BOOST_TEST(service(method, with(std::string(129, 'x'))) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(the_user_id_query_parameter_names_the_user_on_the_routes_that_read_it) {
    for (const auto& [method, target] : std::vector<std::pair<v, std::string>>{
             {v::get, "/v1/progress"}, {v::get, "/v1/progress/c1"}, {v::delete_, "/v1/progress/c1"},
             {v::get, "/v1/progress/batch"},  // a read of content "batch"
             {v::get, "/v1/assessments/quiz-1"}, {v::get, "/v1/collections/course-1/progress"},
             {v::get, "/api/v1/education/progress/2f1c0a9e-1111-4111-8111-111111111111"},
             {v::get, "/api/v1/education/progress/2f1c0a9e-1111-4111-8111-111111111111/summary"},
             {v::put, "/api/v1/education/progress/c/lessons/l"}, {v::put, "/musora-api/reset"}}) {
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(service(method, target + "?context_id=&user_id=bob") == "bob");
            BOOST_TEST(service(method, target + "?user_id=svc%40x.org&content_ids=a,b") == "svc@x.org");
            BOOST_TEST(service(method, target + "?user_id=alice&user_id=bob") == "alice");  // the first, as query_param
            BOOST_TEST(service(method, target + "?user_id=a+b") == "");                      // '+' is a space in a query
            BOOST_TEST(service(method, target + "?user_id=") == "");
            BOOST_TEST(service(method, target + "?user_id") == "");
            BOOST_TEST(service(method, target + "?user_id=me") == "");
            BOOST_TEST(service(method, target + "?xuser_id=bob&user_idx=bob") == "");
            BOOST_TEST(service(method, target) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_services_ping_names_its_user_in_the_body_read_flat_or_parsed_alike) {
    for (const std::string target : {"/v1/progress", "/v1/assessments", "/v1/progress-tokens"}) {
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(service(v::post, target, R"({"user_id":"bob","content_id":"c","position_seconds":12})") == "bob");
            // Outside the flat subset (a nested member, an escape): Boost.JSON, same answer.
            BOOST_TEST(service(v::post, target, R"({"user_id":"bob","details":{"a":[1,2]}})") == "bob");
            BOOST_TEST(service(v::post, target, R"({"note":"caf\u00e9","user_id":"b\u006fb"})") == "bob");
            BOOST_TEST(service(v::post, target, R"({"user_id":"alice","user_id":"bob"})") == "bob");  // the last
            BOOST_TEST(service(v::post, target, R"({"user_id":"alice","x":{},"user_id":"bob"})") == "bob");
            BOOST_TEST(service(v::post, target + "?user_id=carol", R"({"user_id":"bob"})") == "bob");  // the body's
            BOOST_TEST(service(v::post, target, R"({"user_id":null,"content_id":"c"})") == "");
            BOOST_TEST(service(v::post, target, R"({"user_id":42})") == "");
            BOOST_TEST(service(v::post, target, R"({"user_id":"me"})") == "");
            BOOST_TEST(service(v::post, target, R"({"user_id":"a b"})") == "");
            BOOST_TEST(service(v::post, target, R"({"content_id":"c"})") == "");
            BOOST_TEST(service(v::post, target, R"({"user_id":"bob")") == "");   // malformed
            BOOST_TEST(service(v::post, target, R"(["user_id","bob"])") == "");
            BOOST_TEST(service(v::post, target, R"({"user_id":"bob"})", "text/plain") == "");  // 415
            BOOST_TEST(service(v::post, target, R"({"user_id":"bob"})", "Application/JSON; charset=utf-8") == "bob");
            BOOST_TEST(user_of(find(v::post, target, {{"Authorization", api_key}}, R"({"user_id":"bob"})")) == "bob");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_batch_names_every_distinct_user_of_its_pings) {
    const auto batch = [](std::string_view body) { return find(v::post, "/v1/progress/batch", {{"Authorization", api_key}}, body); };
    auto found = batch(R"({"pings":[{"user_id":"bob","content_id":"a"},{"user_id":"carol","content_id":"b"},)"
                       R"({"user_id":"bob","content_id":"c"},{"user_id":"dave","content_id":"d"}]})");
    BOOST_TEST(static_cast<int>(found.what) == static_cast<int>(kind::several));
    BOOST_TEST(found.ids == (std::vector<std::string>{"bob", "carol", "dave"}), boost::test_tools::per_element());

    // Not flat (a nested member): parsed, same users; a ping that fails alone (no user, a bad one,
    // not an object) is left out.
    found = batch(R"({"pings":[{"user_id":"bob","details":{"k":1}},{"content_id":"x"},{"user_id":"a b"},7,)"
                  R"({"user_id":"carol","user_id":"erin"}], "extra": true})");
    BOOST_TEST(found.ids == (std::vector<std::string>{"bob", "erin"}), boost::test_tools::per_element());

    BOOST_TEST(user_of(batch(R"({"pings":[{"user_id":"bob"},{"user_id":"bob","content_id":"z"}]})")) == "bob");
    BOOST_TEST(user_of(batch(R"({"pings":[{"user_id":"bob"},{"content_id":"z"}]})")) == "bob");
    BOOST_TEST(user_of(batch(R"({"user_id":"bob","pings":[{"content_id":"z"}]})")) == "");  // only pings count
    BOOST_TEST(user_of(batch(R"({"pings":[]})")) == "");
    BOOST_TEST(user_of(batch(R"({"pings":{"user_id":"bob"}})")) == "");
    BOOST_TEST(user_of(batch("nonsense")) == "");

    // More than 1000 pings is refused whole.
    std::string many = R"({"pings":[)";
    for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"user_id":"u)" + std::to_string(i % 3) + "\"}";
    BOOST_TEST(user_of(batch(many + "]}")) == "");
    many = many.substr(0, many.rfind(',')) + "]}";  // 1000
    BOOST_TEST(batch(many).ids == (std::vector<std::string>{"u0", "u1", "u2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sunbird_names_the_user_in_request_user_id_or_the_summary_path) {
    for (const std::string target : {"/v1/view/start", "/v1/view/update", "/v1/view/end", "/v1/view/read",
                                     "/v1/assessment/submit", "/v1/assessment/read", "/v1/summary/read"}) {
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(service(v::post, target, R"({"id":"api","params":{"msgid":"m"},"request":{"userId":"bob","contents":[]}})") == "bob");
            BOOST_TEST(service(v::post, target, R"({"request":{"userId":"me"}})") == "");
            BOOST_TEST(service(v::post, target, R"({"request":{"userId":7}})") == "");
            BOOST_TEST(service(v::post, target, R"({"userId":"bob"})") == "");
            BOOST_TEST(service(v::post, target, R"({"request":"bob"})") == "");
            BOOST_TEST(service(v::get, target) == "");  // no such route
        }
    }
    BOOST_TEST(service(v::get, "/v1/summary/list/bob") == "bob");
    BOOST_TEST(service(v::get, "/v1/summary/download/svc%40x.org?format=csv") == "svc@x.org");
    BOOST_TEST(service(v::delete_, "/v1/summary/delete/bob?all") == "bob");
    BOOST_TEST(service(v::delete_, "/v1/summary/delete/bob", R"({"request":{"userId":"bob","collectionId":"c","contextId":""}})") == "bob");
    BOOST_TEST(service(v::get, "/v1/summary/list/me") == "");
    // The file's name ends with the last "_viewer_summary.": ids may hold '_' themselves.
    BOOST_TEST(service(v::get, "/v1/summary/file/bob_viewer_summary.csv") == "bob");
    BOOST_TEST(service(v::get, "/v1/summary/file/a_b_viewer_summary.json") == "a_b");
    BOOST_TEST(service(v::get, "/v1/summary/file/a_viewer_summary.b_viewer_summary.json") == "a_viewer_summary.b");
    BOOST_TEST(service(v::get, "/v1/summary/file/bob_viewer_summary.txt") == "");
    BOOST_TEST(service(v::get, "/v1/summary/file/bob.csv") == "");
    BOOST_TEST(service(v::get, "/v1/summary/file/me_viewer_summary.csv") == "");
    BOOST_TEST(service(v::get, "/v1/summary/file/_viewer_summary.csv") == "");
}

BOOST_AUTO_TEST_CASE(skilljar_names_the_user_in_its_paths_signed_ids_and_enrollments) {
    // `me` is an ordinary id to the Skilljar handlers (services only).
    for (const std::string user : {"bob", "me", "svc@x.org"}) {
        BOOST_TEST_CONTEXT(user) {
            BOOST_TEST(service(v::get, "/v1/users/" + user + "/published-courses?page=1") == user);
            BOOST_TEST(service(v::put, "/v1/users/" + user + "/published-courses/c1", "{}") == user);
            BOOST_TEST(service(v::patch, "/v1/users/" + user + "/published-courses/c1") == user);
            BOOST_TEST(service(v::get, "/v1/users/" + user + "/published-courses/c1/lessons") == user);
            BOOST_TEST(service(v::put, "/v1/users/" + user + "/published-courses/c1/lessons/l1") == user);
            BOOST_TEST(service(v::patch, "/v1/users/" + user + "/published-courses/c1/lessons/l1") == user);
            BOOST_TEST(service(v::delete_, "/v1/users/" + user + "/published-courses/c1/lessons/l1") == "");
        }
    }
    BOOST_TEST(service(v::get, "/v1/users/svc%40x.org/published-courses") == "svc@x.org");

    // Signed ids as the server mints them (the MAC is the owner's to check).
    const skilljar::token_subject subject{"svc@x.org", "course-1", "lesson-1"};
    const auto lp = skilljar::mint_token(skilljar::token_kind::lesson_progress, subject, "any key");
    const auto pt = skilljar::mint_token(skilljar::token_kind::progress_token, subject, "any key");
    for (const v method : {v::put, v::patch}) {
        BOOST_TEST(service(method, "/v1/lesson-progress/" + lp, R"({"completed":true})") == "svc@x.org");
        BOOST_TEST(service(method, "/v1/progresstokens/" + pt, R"({"completed":true})") == "svc@x.org");
        BOOST_TEST(service(method, "/v1/lesson-progress/" + pt) == "");  // the other kind
        BOOST_TEST(service(method, "/v1/progresstokens/" + lp) == "");
    }
    BOOST_TEST(service(v::get, "/v1/lesson-progress/" + lp) == "");
    BOOST_TEST(service(v::put, "/v1/lesson-progress/lp." + auth::base64url_encode("a b") + ".Yw.bA.c2ln") == "");
    BOOST_TEST(service(v::put, "/v1/lesson-progress/lp.Ym9i.Yw.c2ln") == "");     // a part missing
    BOOST_TEST(service(v::put, "/v1/lesson-progress/lp.Ym9i.Yw.bA.x.c2ln") == ""); // one too many
    BOOST_TEST(service(v::put, "/v1/lesson-progress/lp.Ym9i.Yw.bA.c2ln") == "bob");

    // Enrollments: the id carries the user; a new one names it in user.id; the list is nobody's.
    const std::string course = "/v1/domains/example.com/published-courses/course-1/enrollments";
    for (const std::string context : {"", "enrolled-1700000000000"}) {
        const auto one = course + "/" + skilljar::enrollment_id("svc@x.org", context);
        BOOST_TEST(service(v::get, one) == "svc@x.org");
        BOOST_TEST(service(v::put, one, R"({"active":false})") == "svc@x.org");
        BOOST_TEST(service(v::patch, one, R"({"active":false})") == "svc@x.org");
        BOOST_TEST(service(v::delete_, one) == "");
    }
    BOOST_TEST(service(v::get, course + "/" + auth::base64url_encode("no-slash")) == "");
    BOOST_TEST(service(v::get, course + "/" + auth::base64url_encode("a b/ctx")) == "");
    BOOST_TEST(service(v::post, course, R"({"user":{"id":"bob","email":null},"enrolled_at":"2024-01-01T00:00:00Z"})") == "bob");
    BOOST_TEST(service(v::post, course, R"({"user":{"id":"me"}})") == "me");
    BOOST_TEST(service(v::post, course, R"({"user":"bob"})") == "");
    BOOST_TEST(service(v::post, course, R"({"user":{"id":5}})") == "");
    BOOST_TEST(service(v::post, course, "") == "");
    BOOST_TEST(service(v::get, course) == "");
}

BOOST_AUTO_TEST_SUITE_END()
