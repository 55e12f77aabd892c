// The schema's steps, oldest first. docs/cluster.md ("Schema") documents every table and column;
// a change here is a new step at the end, and a line there.

#include "store/partition.hpp"
#include "store/postgres/schema.hpp"

#include <array>

namespace progressd::store {
namespace {

// The partition bound below is written out in SQL: it must be the one partition_of computes.
static_assert(partition_count == 1024);

// Times are milliseconds since the epoch as bigint, as the API writes them, so every value the
// server holds round-trips exactly (to_timestamp(updated_at / 1000.0) reads one as a timestamp).
// The coordination tables instead use timestamptz from the database's own clock (now()): leases
// are compared with one clock, never with the nodes' clocks, which may disagree.
constexpr std::string_view version_1 = R"sql(
CREATE TABLE records (
    partition integer NOT NULL CHECK (partition >= 0 AND partition < 1024),
    user_id text NOT NULL,
    context_id text NOT NULL,
    content_id text NOT NULL,
    record_id uuid NOT NULL,
    status smallint NOT NULL CHECK (status BETWEEN 0 AND 2),
    progress_percent double precision NOT NULL,
    watched_percent double precision NOT NULL,
    position_seconds double precision NOT NULL,
    duration_seconds double precision NOT NULL,
    time_spent_seconds double precision NOT NULL,
    views bigint NOT NULL CHECK (views >= 0),
    position_ts bigint,
    first_accessed_at bigint NOT NULL,
    last_accessed_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    completed_at bigint,
    mimetype text,
    hidden boolean NOT NULL,
    extra bytea,
    PRIMARY KEY (user_id, context_id, content_id)
);
CREATE INDEX records_by_partition ON records (partition, user_id);

CREATE TABLE catalog (
    content_id text PRIMARY KEY,
    type text NOT NULL,
    parent_id text,
    learned boolean NOT NULL,
    updated_at bigint NOT NULL,
    payload bytea NOT NULL
);
CREATE INDEX catalog_by_parent ON catalog (parent_id);

CREATE TABLE enrolments (
    partition integer NOT NULL CHECK (partition >= 0 AND partition < 1024),
    user_id text NOT NULL,
    collection_id text NOT NULL,
    context_id text NOT NULL,
    enrolled_at bigint NOT NULL,
    expires_at bigint,
    active boolean NOT NULL,
    implicit boolean NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (user_id, collection_id, context_id)
);
CREATE INDEX enrolments_by_partition ON enrolments (partition, user_id);
CREATE INDEX enrolments_by_collection ON enrolments (collection_id, context_id);

CREATE TABLE assessments (
    partition integer NOT NULL CHECK (partition >= 0 AND partition < 1024),
    user_id text NOT NULL,
    context_id text NOT NULL,
    content_id text NOT NULL,
    attempt_count bigint NOT NULL,
    best_score double precision NOT NULL,
    passed boolean NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (user_id, context_id, content_id)
);
CREATE INDEX assessments_by_partition ON assessments (partition, user_id);

CREATE TABLE webhooks (
    webhook_id text PRIMARY KEY,
    target_url text NOT NULL,
    active boolean NOT NULL,
    created_at bigint NOT NULL,
    payload bytea NOT NULL
);

CREATE TABLE outbox (
    delivery_key text PRIMARY KEY,
    partition integer NOT NULL CHECK (partition >= 0 AND partition < 1024),
    webhook_id text NOT NULL,
    event_id text NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at bigint NOT NULL,
    payload bytea NOT NULL
);
CREATE INDEX outbox_by_due_time ON outbox (next_attempt_at);
CREATE INDEX outbox_by_webhook ON outbox (webhook_id);

CREATE TABLE nodes (
    node_id text PRIMARY KEY,
    advertise_url text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partitions (
    partition integer PRIMARY KEY CHECK (partition >= 0 AND partition < 1024),
    owner text,
    epoch bigint NOT NULL DEFAULT 0,
    lease_until timestamptz
);
CREATE INDEX partitions_by_owner ON partitions (owner);
INSERT INTO partitions (partition) SELECT generate_series(0, 1023);
)sql";

// A node that acquires partitions reads their pending deliveries (outbox_partitions.hpp).
constexpr std::string_view version_2 = R"sql(
CREATE INDEX outbox_by_partition ON outbox (partition);
)sql";

constexpr std::array<migration, 2> steps{{
    {1, "records, catalog, enrolments, assessments, webhooks, outbox, nodes, partitions", version_1},
    {2, "outbox_by_partition: the deliveries of the partitions a node acquires", version_2},
}};

}  // namespace

std::span<const migration> schema_migrations() { return steps; }

}  // namespace progressd::store
