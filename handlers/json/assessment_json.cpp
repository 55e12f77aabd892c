#include "handlers/json/assessment_json.hpp"

#include <boost/json/array.hpp>

namespace progressd {

boost::json::object attempt_to_json(const store::assessment_attempt& attempt) {
    return {
        {"attempt_id", attempt.attempt_id},
        {"score", attempt.score},
        {"max_score", attempt.max_score},
        {"percent", attempt.max_score > 0 ? boost::json::value(attempt.score / attempt.max_score * 100) : nullptr},
        {"passed", attempt.passed},
        {"submitted_at", attempt.submitted_at},
    };
}

boost::json::object state_to_json(std::string_view user_id, const store::record_key& key,
                                  const store::assessment_state& state) {
    const auto* last = state.last();
    boost::json::array attempts;
    for (const auto& attempt : state.attempts) attempts.push_back(attempt_to_json(attempt));
    return {
        {"user_id", user_id},
        {"content_id", key.content_id},
        {"context_id", key.context_id},
        {"attempt_count", state.attempt_count},
        {"last_score", last ? boost::json::value(last->score) : nullptr},
        {"best_score", state.best_score()},
        {"max_score", last ? boost::json::value(last->max_score) : nullptr},
        {"passed", state.passed()},
        {"last_submitted_at", last ? boost::json::value(last->submitted_at) : nullptr},
        {"attempts", std::move(attempts)},
    };
}

}  // namespace progressd
