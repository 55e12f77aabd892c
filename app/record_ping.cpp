#include "app/record_ping.hpp"

#include "app/ping_effects.hpp"
#include "app/progress_events.hpp"

#include <algorithm>

namespace progressd::app {
namespace {

std::uint64_t learn_and_enrol(database& data, const call_context& call, std::string_view user_id,
                              const store::ping& observation, const store::apply_result& applied, bool learns,
                              bool enrols) {
    std::uint64_t generation = 0;
    const auto& seen = call.catalog.get(data.catalog());
    if (learns) generation = learn_from_ping(data.catalog(), seen, observation, call.now_ms);
    if (!enrols) return generation;
    const auto enrolled = enrol_from_ping(data.enrolments(), seen, user_id, observation, applied.outcome, call.now_ms);
    if (enrolled == 0) return generation;
    generation = std::max(generation, enrolled);
    if (const auto collection = enrolment_collection(seen, observation)) {
        generation = std::max(generation, publish_enrolment(data, call, user_id, *collection, observation.context_id));
    }
    return generation;
}

}  // namespace

store::apply_result record_ping(database& data, const call_context& call, std::string_view user_id,
                                store::ping& observation) {
    // Assigned only when found: with no type rule the hot path pays one branch, not a string write.
    if (const auto type = completion_type(data, call, observation.content_id); !type.empty()) {
        observation.content_type = type;
    }
    auto applied = data.records().apply_ping(user_id, observation, call.now_ms);
    const bool learns = !observation.collection_id.empty();
    const bool enrols = applied.outcome.first_access && !observation.context_id.empty();
    if (learns || enrols) {
        applied.generation =
            std::max(applied.generation, learn_and_enrol(data, call, user_id, observation, applied, learns, enrols));
    }
    // After learning, so a course named by this very ping is already known to the course check.
    if (applied.outcome.became_completed) {
        applied.generation =
            std::max(applied.generation,
                     publish_record_completed(data, call, user_id, {observation.context_id, observation.content_id}));
    }
    return applied;
}

std::string_view completion_type(database& data, const call_context& call, std::string_view content_id) {
    if (!data.completion_by_type()) return {};
    const auto* entry = call.catalog.get(data.catalog()).find(content_id);
    return entry ? std::string_view(entry->type) : std::string_view();
}

}  // namespace progressd::app
