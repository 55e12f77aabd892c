#include "store/events.hpp"

namespace progressd::store {

std::string_view event_type_name(event_type type) {
    switch (type) {
        case event_type::lesson_completion: return "LESSON_COMPLETION";
        case event_type::course_completion: return "COURSE_COMPLETION";
        case event_type::quiz_completion: return "QUIZ_COMPLETION";
        case event_type::course_enrollment: return "COURSE_ENROLLMENT";
    }
    return "UNKNOWN";
}

std::optional<event_type> parse_event_type(std::string_view name) {
    for (const auto type : all_event_types) {
        if (event_type_name(type) == name) return type;
    }
    return std::nullopt;
}

}  // namespace progressd::store
