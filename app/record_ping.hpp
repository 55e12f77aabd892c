#pragma once
// The whole business step of a ping, what every API family calls: fills what the completion
// rules need from the catalog, merges the ping into its record (store/merge.hpp), then lets the
// catalog learn the ping's collection, enrols the user on a first ping in a context
// (app/ping_effects.hpp) and publishes the completion events (app/progress_events.hpp).

#include "app/call_context.hpp"
#include "app/database.hpp"
#include "store/ping.hpp"
#include "store/progress_store.hpp"

#include <string_view>

namespace progressd::app {

// `observation` gains the content's type when a completion rule needs it. The result's
// generation covers the record and everything the ping changed besides: what a sync-mode reply
// waits for.
store::apply_result record_ping(database& data, const call_context& call, std::string_view user_id,
                                store::ping& observation);

// The catalog's type of `content_id` when a completion rule names a type, else empty (then it
// costs one branch): what the merge and an authoritative write pick the content's completion rule
// by. Views the calling thread's catalog snapshot: copy it before the thread's next catalog read.
std::string_view completion_type(database& data, const call_context& call, std::string_view content_id);

}  // namespace progressd::app
