#include "store/codec/event_codec.hpp"

#include "store/codec/byte_codec.hpp"

#include <cstdint>

namespace progressd::store {
namespace {

constexpr std::uint8_t webhook_format = 1;
constexpr std::uint8_t delivery_format = 1;
constexpr std::uint8_t flag_active = 1;
constexpr std::uint8_t flag_quiz = 2;
constexpr std::uint8_t flag_quiz_passed = 4;
constexpr std::uint8_t no_event_type = 0;

bool valid_event_type(std::uint8_t raw) {
    for (const auto type : all_event_types) {
        if (static_cast<std::uint8_t>(type) == raw) return true;
    }
    return false;
}

}  // namespace

std::string encode_webhook(const webhook& value) {
    std::string out;
    byte_writer w(out);
    w.put(webhook_format);
    w.put(static_cast<std::uint8_t>(value.active ? flag_active : 0));
    w.put(value.only ? static_cast<std::uint8_t>(*value.only) : no_event_type);
    w.put(value.created_at);
    w.put_string<std::uint32_t>(value.target_url);
    w.put_string<std::uint32_t>(value.deactivate_reason);
    w.put_string<std::uint32_t>(value.basic_auth_username);
    w.put_string<std::uint32_t>(value.basic_auth_password);
    w.put_string<std::uint32_t>(value.secret);
    return out;
}

std::optional<webhook> decode_webhook(std::string_view id, std::string_view bytes) {
    byte_reader r(bytes);
    webhook value;
    value.id = std::string(id);
    std::uint8_t format = 0;
    std::uint8_t flags = 0;
    std::uint8_t type = 0;
    const bool complete = r.get(format) && format == webhook_format && r.get(flags) && r.get(type) &&
                          r.get(value.created_at) && r.get_string<std::uint32_t>(value.target_url) &&
                          r.get_string<std::uint32_t>(value.deactivate_reason) &&
                          r.get_string<std::uint32_t>(value.basic_auth_username) &&
                          r.get_string<std::uint32_t>(value.basic_auth_password) &&
                          r.get_string<std::uint32_t>(value.secret) && r.at_end();
    if (!complete || id.empty() || (flags & ~flag_active) != 0) return std::nullopt;
    if (type != no_event_type && !valid_event_type(type)) return std::nullopt;
    value.active = flags & flag_active;
    if (type != no_event_type) value.only = static_cast<event_type>(type);
    return value;
}

std::string encode_delivery(const delivery& value) {
    const progress_event& event = value.event;
    std::string out;
    byte_writer w(out);
    w.put(delivery_format);
    w.put(static_cast<std::uint8_t>(event.type));
    std::uint8_t flags = 0;
    if (event.quiz) flags |= flag_quiz;
    if (event.quiz && event.quiz->passed) flags |= flag_quiz_passed;
    w.put(flags);
    w.put(value.attempts);
    w.put(value.next_attempt_at);
    w.put(event.occurred_at);
    w.put_string<std::uint32_t>(value.webhook_id);
    w.put_string<std::uint32_t>(value.last_error);
    w.put_string<std::uint32_t>(event.id);
    w.put_string<std::uint32_t>(event.user_id);
    w.put_string<std::uint32_t>(event.context_id);
    w.put_string<std::uint32_t>(event.course_id);
    w.put_string<std::uint32_t>(event.content_id);
    if (event.quiz) {
        w.put(event.quiz->score);
        w.put(event.quiz->max_score);
        w.put_string<std::uint32_t>(event.quiz->attempt_id);
    }
    return out;
}

std::optional<delivery> decode_delivery(std::string_view bytes) {
    byte_reader r(bytes);
    delivery value;
    progress_event& event = value.event;
    std::uint8_t format = 0;
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    bool complete = r.get(format) && format == delivery_format && r.get(type) && valid_event_type(type) &&
                    r.get(flags) && (flags & ~(flag_quiz | flag_quiz_passed)) == 0 && r.get(value.attempts) &&
                    r.get(value.next_attempt_at) && r.get(event.occurred_at) &&
                    r.get_string<std::uint32_t>(value.webhook_id) && r.get_string<std::uint32_t>(value.last_error) &&
                    r.get_string<std::uint32_t>(event.id) && r.get_string<std::uint32_t>(event.user_id) &&
                    r.get_string<std::uint32_t>(event.context_id) && r.get_string<std::uint32_t>(event.course_id) &&
                    r.get_string<std::uint32_t>(event.content_id);
    if (complete && (flags & flag_quiz)) {
        quiz_outcome quiz;
        complete = r.get(quiz.score) && r.get(quiz.max_score) && r.get_string<std::uint32_t>(quiz.attempt_id);
        quiz.passed = flags & flag_quiz_passed;
        event.quiz = std::move(quiz);
    }
    if (!complete || !r.at_end() || event.id.empty() || value.webhook_id.empty()) return std::nullopt;
    event.type = static_cast<event_type>(type);
    return value;
}

}  // namespace progressd::store
