#pragma once
// The in-memory stores a node serves from, whatever it persists to: progress records, the catalog,
// enrolments, assessment states, webhooks and their outbox. They share one generation counter (the
// progress store's), so one flush generation covers a ping's record and everything it caused.
//
// Thread-safety: each store is thread-safe (see its header).

#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/enrolments.hpp"
#include "store/outbox.hpp"
#include "store/progress_store.hpp"
#include "store/webhooks.hpp"

#include <cstddef>

namespace progressd::app {

struct stores {
    stores(std::size_t shards, const store::merge_rules& rules, const store::retry_policy& webhook_retry)
        : records(shards, rules),
          catalog(records.generation_counter()),
          enrolments(shards, records.generation_counter()),
          assessments(shards, records.generation_counter()),
          webhooks(records.generation_counter()),
          outbox(records.generation_counter(), webhook_retry) {}
    stores(const stores&) = delete;
    stores& operator=(const stores&) = delete;

    store::progress_store records;  // first: the others take its generation counter
    store::catalog catalog;
    store::enrolment_store enrolments;
    store::assessment_store assessments;
    store::webhook_registry webhooks;
    store::event_outbox outbox;
};

}  // namespace progressd::app
