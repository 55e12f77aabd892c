#include "handlers/ping_effects.hpp"

#include "handlers/progress_events.hpp"
#include "handlers/router.hpp"
#include "handlers/services.hpp"
#include "store/ping_effects.hpp"

#include <algorithm>

namespace progressd {

void prepare_ping(services& context, request_context& request, store::ping& observation) {
    if (!context.completion_by_type) return;
    if (const auto* entry = request.thread.catalog.get(context.catalog).find(observation.content_id)) {
        observation.content_type = entry->type;
    }
}

namespace {

std::uint64_t learn_and_enrol(services& context, request_context& request, std::string_view user_id,
                              const store::ping& observation, const store::apply_result& applied, bool learns,
                              bool enrols) {
    std::uint64_t generation = 0;
    const auto& seen = request.thread.catalog.get(context.catalog);
    if (learns) generation = store::learn_from_ping(context.catalog, seen, observation, request.now_ms);
    if (!enrols) return generation;
    const auto enrolled =
        store::enrol_from_ping(context.enrolments, seen, user_id, observation, applied.outcome, request.now_ms);
    if (enrolled == 0) return generation;
    generation = std::max(generation, enrolled);
    if (const auto collection = store::enrolment_collection(seen, observation)) {
        generation = std::max(generation, publish_enrolment(context, request, user_id, *collection, observation.context_id));
    }
    return generation;
}

}  // namespace

std::uint64_t apply_ping_effects(services& context, request_context& request, std::string_view user_id,
                                 const store::ping& observation, const store::apply_result& applied) {
    std::uint64_t generation = applied.generation;
    const bool learns = !observation.collection_id.empty();
    const bool enrols = applied.outcome.first_access && !observation.context_id.empty();
    if (learns || enrols) {
        generation = std::max(generation, learn_and_enrol(context, request, user_id, observation, applied, learns, enrols));
    }
    // After learning, so a course named by this very ping is already known to the course check.
    if (applied.outcome.became_completed) {
        generation = std::max(generation, publish_record_completed(context, request, user_id,
                                                                   {observation.context_id, observation.content_id}));
    }
    return generation;
}

}  // namespace progressd
