#pragma once
// One persister batch, for PostgreSQL: the records and every attached dirty source's changes,
// gathered the way the LMDB persister gathers them (store/persist/persister.hpp), and the one call
// that writes them all as rows.
//
// Records arrive as the progress store hands them over (progress_store::collect_dirty: user, key,
// the record or a tombstone). Every other source's changes arrive as it emits them to the LMDB
// persister (dirty_source::collect_changes: its LMDB key and codec value, or a tombstone), tagged
// with the table they belong to; apply_batch decodes each into its row, so the bytes written to
// `payload` are the ones LMDB would have kept, and the LMDB and PostgreSQL stores cannot drift
// apart in what they persist. As in LMDB, a later change to a key supersedes an earlier one.
//
// apply_batch runs inside the caller's transaction and leaves it open: the caller ends it with
// fenced_commit (fencing.hpp), claiming batch_partitions(batch) at its epochs, so the whole batch
// commits, or none of it, and never over a newer owner.
//
// Thread-safety: a write_batch is a plain value, for one thread at a time.

#include "store/dirty_source.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"
#include "store/record.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

// The table a dirty source's changes go to, and how its keys and values are encoded (the LMDB
// named database of the same name, store/persist/lmdb.hpp).
enum class batch_table : std::uint8_t {
    catalog,      // key: content id; value: catalog_codec
    enrolments,   // key and value: enrolment_codec
    assessments,  // key: record_codec's encode_key; value: assessment_codec
    webhooks,     // key: webhook id; value: event_codec's encode_webhook
    outbox,       // key: event_outbox::key_of; value: event_codec's encode_delivery
};

struct write_batch {
    struct record_change {
        std::string user_id;
        record_key key;
        std::optional<progress_record> record;  // nullopt: removed
    };
    struct source_change {
        batch_table table;
        std::string key;
        std::optional<std::string> value;  // nullopt: removed
    };

    std::vector<record_change> records;  // in collection order
    std::vector<source_change> changes;  // in collection order

    // progress_store::collect_dirty's visitor: copies the change (the store's lock is held).
    void add_record(std::string_view user_id, const record_key& key, const progress_record* record);
    // The visitor to hand a source's collect_changes, for the source writing `table`. It appends
    // to this batch, which must stay where it is while the visitor is in use.
    change_visitor collector(batch_table table);

    bool empty() const { return records.empty() && changes.empty(); }
    std::size_t size() const { return records.size() + changes.size(); }
};

struct batch_written {
    std::size_t upserted = 0;  // rows inserted or replaced
    std::size_t deleted = 0;   // rows removed (a tombstone of a key never written removes none)
};

// Writes the batch's last change to each key as rows, inside `txn`, which it leaves open. A
// change that does not decode fails the batch (pg_errc::malformed_row, naming the table and the
// key) before anything is written: the caller's transaction must then be rolled back.
// When the batch changes catalog entries or webhooks, it also sends their notice
// (shared_notice.hpp), which PostgreSQL delivers to the other nodes on commit.
pg_outcome<batch_written> apply_batch(transaction& txn, const write_batch& batch);

// The partitions of the users whose rows the batch writes (records, enrolments, assessments),
// ascending and each once: what fenced_commit must claim. The catalog, the webhooks and the
// outbox are the whole cluster's, owned by no partition, so they add no claim: how their writers
// are kept apart is decided where the cluster's catalog and delivery are built.
std::vector<std::uint32_t> batch_partitions(const write_batch& batch);

}  // namespace progressd::store
