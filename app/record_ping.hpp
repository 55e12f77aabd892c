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

}  // namespace progressd::app
