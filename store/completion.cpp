#include "store/completion.hpp"

#include <charconv>
#include <cmath>

namespace progressd::store {

std::optional<parsed_completion_rule> parse_completion_rule(std::string_view text) {
    parsed_completion_rule parsed;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view key = text.substr(0, equals);
    std::string_view value = text.substr(equals + 1);

    if (key == "default") {
        parsed.is_default = true;
    } else if (key.starts_with("type:")) {
        parsed.value.by = completion_override::match::type;
        parsed.value.name = std::string(key.substr(5));
    } else if (key.starts_with("mimetype:")) {
        parsed.value.by = completion_override::match::mimetype;
        parsed.value.name = std::string(key.substr(9));
    } else {
        return std::nullopt;
    }
    if (!parsed.is_default && parsed.value.name.empty()) return std::nullopt;

    const auto colon = value.find(':');
    const std::string_view policy = value.substr(0, colon);
    if (policy == "furthest") {
        parsed.value.rule.policy = completion_policy::furthest;
    } else if (policy == "coverage") {
        parsed.value.rule.policy = completion_policy::coverage;
    } else {
        return std::nullopt;
    }
    if (colon != std::string_view::npos) {
        const std::string_view number = value.substr(colon + 1);
        double threshold = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), threshold);
        if (ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(threshold) ||
            threshold < 1 || threshold > 100) {
            return std::nullopt;
        }
        parsed.value.rule.threshold = threshold;
        parsed.has_threshold = true;
    }
    return parsed;
}

}  // namespace progressd::store
