#include "handlers/ping_effects.hpp"

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

std::uint64_t apply_ping_effects(services& context, request_context& request, std::string_view user_id,
                                 const store::ping& observation, const store::apply_result& applied) {
    std::uint64_t generation = applied.generation;
    const bool learns = !observation.collection_id.empty();
    const bool enrols = applied.outcome.first_access && !observation.context_id.empty();
    if (!learns && !enrols) return generation;  // the common case: nothing to look up
    const auto& seen = request.thread.catalog.get(context.catalog);
    if (learns) {
        generation = std::max(generation, store::learn_from_ping(context.catalog, seen, observation, request.now_ms));
    }
    if (enrols) {
        generation = std::max(generation, store::enrol_from_ping(context.enrolments, seen, user_id, observation,
                                                                 applied.outcome, request.now_ms));
    }
    return generation;
}

}  // namespace progressd
