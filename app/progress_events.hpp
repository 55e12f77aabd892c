#pragma once
// Where the store's transitions become completion events (store/events.hpp): every write path of
// every API family calls the function for what it saw, so a lesson completed through Skilljar,
// Sunbird, the Education API or a native ping is the same LESSON_COMPLETION. The events go to the
// outbox (store/outbox.hpp) for the webhooks that want them; with no active webhook each function
// returns after one atomic load, so events nobody listens to are never made.
//
// Each returns the generation a sync-mode answer waits for (0: nothing was published), so an
// acknowledged write's event is as durable as the write.

#include "app/call_context.hpp"
#include "app/database.hpp"
#include "store/assessments.hpp"
#include "store/enrolments.hpp"
#include "store/progress_store.hpp"
#include "store/record.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace progressd::app {

// A record became completed: LESSON_COMPLETION, and COURSE_COMPLETION when that completed its
// course (the content's top-level collection in the catalog).
std::uint64_t publish_record_completed(database& data, const call_context& call, std::string_view user_id,
                                       const store::record_key& key);

// An enrolment was created: COURSE_ENROLLMENT.
std::uint64_t publish_enrolment(database& data, const call_context& call, std::string_view user_id,
                                std::string_view collection_id, std::string_view context_id);

// The store's writes that can make events, with their events published: what the handlers call
// instead of the store directly. Each result's generation covers the events too.
store::overwrite_result overwrite_with_events(database& data, const call_context& call, std::string_view user_id,
                                              const store::record_key& key, const store::record_overwrite& write);
store::assessment_store::submit_result submit_attempt_with_events(database& data, const call_context& call,
                                                                  std::string_view user_id,
                                                                  const store::record_key& key,
                                                                  const store::assessment_attempt& attempt);
store::assessment_store::update_result update_quiz_with_events(
    database& data, const call_context& call, std::string_view user_id, const store::record_key& key,
    const std::function<void(store::assessment_state&)>& change);
std::optional<std::uint64_t> ensure_enrolment_with_events(database& data, const call_context& call,
                                                          std::string_view user_id, std::string_view collection_id,
                                                          std::string_view context_id);
store::enrolment_write put_enrolment_with_events(database& data, const call_context& call, std::string_view user_id,
                                                 const store::enrolment_key& key,
                                                 const store::enrolment_update& update);

}  // namespace progressd::app
