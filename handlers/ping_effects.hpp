#pragma once
// The hot path's one call into the learning model: after a ping is merged into its record, let
// the catalog learn its collection and enrol the user on a first ping in a context
// (store/ping_effects.hpp). Returns the generation a sync-mode reply must wait for: the
// record's, or a later one when the catalog or the enrolments changed too.

#include "store/progress_store.hpp"

#include <cstdint>
#include <string_view>

namespace progressd {

struct services;
struct request_context;

// Before the merge: fills what the completion rules need from the catalog (the content's type,
// only when a rule names a type; otherwise this is one branch).
void prepare_ping(services& context, request_context& request, store::ping& observation);

std::uint64_t apply_ping_effects(services& context, request_context& request, std::string_view user_id,
                                 const store::ping& observation, const store::apply_result& applied);

}  // namespace progressd
