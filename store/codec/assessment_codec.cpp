#include "store/codec/assessment_codec.hpp"

#include "store/codec/byte_codec.hpp"
#include "store/ids.hpp"

#include <cstdint>

namespace progressd::store {
namespace {

constexpr std::uint8_t state_format = 1;

}  // namespace

std::string encode_assessment_state(const assessment_state& state) {
    std::string out;
    out.reserve(16 + state.attempts.size() * 48);
    byte_writer w(out);
    w.put(state_format);
    w.put(state.attempt_count);
    w.put(state.folded_best_score);
    w.put(static_cast<std::uint8_t>(state.folded_passed));
    w.put(static_cast<std::uint16_t>(state.attempts.size()));
    for (const auto& attempt : state.attempts) {
        w.put_string<std::uint8_t>(attempt.attempt_id);
        w.put(attempt.score);
        w.put(attempt.max_score);
        w.put(attempt.submitted_at);
        w.put(static_cast<std::uint8_t>(attempt.passed));
    }
    return out;
}

std::optional<assessment_state> decode_assessment_state(std::string_view bytes) {
    byte_reader r(bytes);
    assessment_state state;
    std::uint8_t format = 0;
    std::uint8_t folded_passed = 0;
    std::uint16_t count = 0;
    if (!r.get(format) || format != state_format) return std::nullopt;
    if (!(r.get(state.attempt_count) && r.get(state.folded_best_score) && r.get(folded_passed) && r.get(count))) {
        return std::nullopt;
    }
    if (folded_passed > 1 || count > max_kept_attempts) return std::nullopt;
    state.folded_passed = folded_passed;
    state.attempts.resize(count);
    for (auto& attempt : state.attempts) {
        std::uint8_t passed = 0;
        const bool complete = r.get_string<std::uint8_t>(attempt.attempt_id) && r.get(attempt.score) &&
                              r.get(attempt.max_score) && r.get(attempt.submitted_at) && r.get(passed);
        if (!complete || passed > 1 || !is_valid_id(attempt.attempt_id)) return std::nullopt;
        attempt.passed = passed;
    }
    if (!r.at_end()) return std::nullopt;
    return state;
}

}  // namespace progressd::store
