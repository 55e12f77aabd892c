#include "handlers/json/webhook_payload.hpp"

#include "handlers/json/iso8601.hpp"

#include "common/random_hex.hpp"
#include "handlers/auth/base64url.hpp"
#include "handlers/auth/hmac_sha256.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace progressd {
namespace {

boost::json::value id_or_null(const std::string& id) {
    if (id.empty()) return nullptr;
    return boost::json::object{{"id", id}};
}

}  // namespace

std::string webhook_body(const store::progress_event& event) {
    boost::json::object payload{{"user", boost::json::object{{"id", event.user_id}}},
                                {"context_id", event.context_id},
                                {"course", id_or_null(event.course_id)}};
    const auto at = iso8601_or_null(event.occurred_at);
    switch (event.type) {
        case store::event_type::lesson_completion:
            payload["lesson"] = id_or_null(event.content_id);
            payload["completed_at"] = at;
            break;
        case store::event_type::course_completion:
            payload["completed_at"] = at;
            break;
        case store::event_type::quiz_completion:
            payload["lesson"] = id_or_null(event.content_id);
            payload["completed_at"] = at;
            if (event.quiz) {
                payload["quiz"] = boost::json::object{{"attempt_id", event.quiz->attempt_id},
                                                      {"score", event.quiz->score},
                                                      {"max_score", event.quiz->max_score},
                                                      {"passed", event.quiz->passed}};
            }
            break;
        case store::event_type::course_enrollment:
            payload["enrolled_at"] = at;
            break;
    }
    return boost::json::serialize(boost::json::object{{"id", event.id},
                                                      {"type", store::event_type_name(event.type)},
                                                      {"created_at", at},
                                                      {"payload", std::move(payload)}});
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body) {
    std::string signed_text = std::to_string(timestamp_s);
    signed_text += '.';
    signed_text.append(body);
    return "sha256=" + hex_encode(auth::hmac_sha256(secret, signed_text));
}

std::vector<std::pair<std::string, std::string>> webhook_headers(const store::webhook& target,
                                                                 const store::progress_event& event,
                                                                 std::string_view body, std::int64_t timestamp_s) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"User-Agent", "progressd-webhooks/1"},
        {"X-Progressd-Event", std::string(store::event_type_name(event.type))},
        {"X-Progressd-Delivery", event.id},
        {"X-Progressd-Timestamp", std::to_string(timestamp_s)},
        {"X-Progressd-Signature", webhook_signature(target.secret, timestamp_s, body)},
    };
    if (!target.basic_auth_username.empty()) {
        headers.emplace_back("Authorization",
                             "Basic " + auth::base64_encode(target.basic_auth_username + ":" + target.basic_auth_password));
    }
    return headers;
}

}  // namespace progressd
