#include "app/progress_events.hpp"

#include "app/record_ping.hpp"
#include "common/random_hex.hpp"
#include "store/aggregate.hpp"
#include "store/user_collection.hpp"

#include <algorithm>
#include <optional>

namespace progressd::app {
namespace {

store::progress_event make_event(store::event_type type, std::string_view user_id, std::string_view context_id,
                                 std::string_view course_id, std::string_view content_id) {
    store::progress_event event;
    event.type = type;
    event.user_id = std::string(user_id);
    event.context_id = std::string(context_id);
    event.course_id = std::string(course_id);
    event.content_id = std::string(content_id);
    return event;
}

std::uint64_t publish(database& data, store::progress_event event, std::int64_t now_ms) {
    const auto targets = data.webhooks().targets_for(event.type);
    if (targets.empty()) return 0;
    event.id = random_hex(16);  // random: ids never repeat across restarts, with no counter to keep
    event.occurred_at = now_ms;
    return data.outbox().publish(event, targets, now_ms);
}

// The content's outermost collection: what the events call its course. Bounded like the
// aggregation, so a cycle in the catalog cannot loop.
std::string course_of(const store::catalog_snapshot& catalog, std::string_view content_id) {
    std::string_view top;
    std::string_view at = content_id;
    for (std::size_t depth = 0; depth < store::max_aggregate_depth; ++depth) {
        const auto parent = catalog.parent_of(at);
        if (!parent || *parent == content_id) break;
        top = *parent;
        at = *parent;
    }
    return std::string(top);
}

// Whether `content_id` is a leaf under `node` reached through required children only.
bool counts_toward(const store::node_progress& node, std::string_view content_id) {
    return std::any_of(node.children.begin(), node.children.end(), [&](const store::node_progress& child) {
        if (child.optional) return false;
        return child.collection ? counts_toward(child, content_id) : child.content_id == content_id;
    });
}

std::uint64_t publish_quiz_attempt(database& data, const call_context& call, std::string_view user_id,
                                   const store::record_key& key, const store::assessment_attempt& attempt) {
    if (!data.webhooks().any_active()) return 0;
    const auto catalog = call.catalog.shared(data.catalog());
    auto event = make_event(store::event_type::quiz_completion, user_id, key.context_id,
                            course_of(*catalog, key.content_id), key.content_id);
    event.quiz = store::quiz_outcome{attempt.attempt_id, attempt.score, attempt.max_score, attempt.passed};
    return publish(data, std::move(event), call.now_ms);
}

}  // namespace

std::uint64_t publish_record_completed(database& data, const call_context& call, std::string_view user_id,
                                       const store::record_key& key) {
    if (!data.webhooks().any_active()) return 0;
    const auto catalog = call.catalog.shared(data.catalog());
    const std::string course_id = course_of(*catalog, key.content_id);

    std::uint64_t generation = publish(
        data, make_event(store::event_type::lesson_completion, user_id, key.context_id, course_id, key.content_id),
        call.now_ms);
    if (course_id.empty()) return generation;

    // The lesson completed the course when the course is now complete and the lesson counts
    // toward it (a required leaf): before, that lesson was not completed, so neither was the
    // course. Two lessons completing at once on two threads may both see it: at least once
    // allows that.
    const auto course = store::aggregate_user_collection(data.records(), *catalog, user_id, key.context_id, course_id);
    if (course.node.status == store::progress_status::completed && counts_toward(course.node, key.content_id)) {
        generation = std::max(
            generation,
            publish(data, make_event(store::event_type::course_completion, user_id, key.context_id, course_id, {}),
                    call.now_ms));
    }
    return generation;
}

std::uint64_t publish_enrolment(database& data, const call_context& call, std::string_view user_id,
                                std::string_view collection_id, std::string_view context_id) {
    if (!data.webhooks().any_active()) return 0;
    return publish(data, make_event(store::event_type::course_enrollment, user_id, context_id, collection_id, {}),
                   call.now_ms);
}

store::overwrite_result overwrite_with_events(database& data, const call_context& call, std::string_view user_id,
                                              const store::record_key& key, const store::record_overwrite& write) {
    // The content's type picks the completion rule an un-completion lowers progress below, as it
    // picks a ping's; the write is copied only when there is one.
    const std::string_view type = completion_type(data, call, key.content_id);
    std::optional<store::record_overwrite> typed;
    if (!type.empty()) {
        typed.emplace(write);
        typed->content_type = type;
    }
    auto written = data.records().overwrite(user_id, key, typed ? *typed : write, call.now_ms);
    if (written.became_completed) {
        written.generation = std::max(written.generation, publish_record_completed(data, call, user_id, key));
    }
    return written;
}

store::assessment_store::submit_result submit_attempt_with_events(database& data, const call_context& call,
                                                                  std::string_view user_id,
                                                                  const store::record_key& key,
                                                                  const store::assessment_attempt& attempt) {
    auto submitted = data.assessments().submit(user_id, key, attempt);
    submitted.generation = std::max(submitted.generation, publish_quiz_attempt(data, call, user_id, key, attempt));
    return submitted;
}

store::assessment_store::update_result update_quiz_with_events(
    database& data, const call_context& call, std::string_view user_id, const store::record_key& key,
    const std::function<void(store::assessment_state&)>& change) {
    auto result = data.assessments().update(user_id, key, change);
    // The newest attempt is the one the write made or changed (store/overwrite.hpp).
    if (result.generation && result.state && result.state->last()) {
        result.generation =
            std::max(*result.generation, publish_quiz_attempt(data, call, user_id, key, *result.state->last()));
    }
    return result;
}

std::optional<std::uint64_t> ensure_enrolment_with_events(database& data, const call_context& call,
                                                          std::string_view user_id, std::string_view collection_id,
                                                          std::string_view context_id) {
    auto created = data.enrolments().ensure(user_id, collection_id, context_id, call.now_ms);
    if (created) *created = std::max(*created, publish_enrolment(data, call, user_id, collection_id, context_id));
    return created;
}

store::enrolment_write put_enrolment_with_events(database& data, const call_context& call, std::string_view user_id,
                                                 const store::enrolment_key& key,
                                                 const store::enrolment_update& update) {
    auto written = data.enrolments().put(user_id, key, update, call.now_ms);
    if (written.created) {
        written.generation =
            std::max(written.generation, publish_enrolment(data, call, user_id, key.collection_id, key.context_id));
    }
    return written;
}

}  // namespace progressd::app
