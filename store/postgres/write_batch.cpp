#include "store/postgres/write_batch.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/partition.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/record_deletes.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/row_batching.hpp"
#include "store/postgres/shared_notice.hpp"
#include "store/postgres/webhook_rows.hpp"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

namespace progressd::store {
namespace {

constexpr std::array<std::string_view, 5> table_names{"catalog", "enrolments", "assessments", "webhooks", "outbox"};

std::string_view name_of(batch_table table) { return table_names[static_cast<std::size_t>(table)]; }

// An encoded key for an error message: its '\0' separators as ", ".
std::string printable(std::string_view key) {
    std::string out;
    for (const char c : key) {
        if (c == '\0') out += ", ";
        else out += c;
    }
    return out;
}

// "<table> change (<key>): <what> does not decode".
pg_error undecodable(const write_batch::source_change& change, std::string_view what) {
    std::string message(name_of(change.table));
    message.append(" change (").append(printable(change.key)).append("): ").append(what).append(" does not decode");
    return pg_error{pg_errc::malformed_row, {}, std::move(message)};
}

// The rows of one batch, decoded and owned here, and the views the row functions take. Decoding
// comes first, so a change that does not decode fails the batch before any statement runs.
struct decoded_batch {
    std::vector<record_row> record_upserts;
    std::vector<user_record_key> record_deletes;

    std::vector<content_entry> catalog_upserts;
    std::vector<std::string_view> catalog_deletes;

    std::vector<std::pair<std::string_view, enrolment_key>> enrolment_keys;  // user id, key
    std::vector<enrolment> enrolment_values;
    std::vector<user_enrolment_key> enrolment_deletes;

    std::vector<std::pair<std::string_view, record_key>> assessment_keys;
    std::vector<assessment_state> assessment_states;
    std::vector<user_record_key> assessment_deletes;

    std::vector<webhook> webhook_upserts;
    std::vector<std::string_view> webhook_deletes;

    std::vector<std::string_view> delivery_keys;
    std::vector<delivery> delivery_values;
    std::vector<std::string_view> delivery_deletes;
};

void split_records(const write_batch& batch, decoded_batch& out) {
    const auto& records = batch.records;
    const auto kept = row_batching::last_of_each_key(records.size(), [&](std::size_t i) {
        return std::tie(records[i].user_id, records[i].key.context_id, records[i].key.content_id);
    });
    for (const std::size_t i : kept) {
        const auto& change = records[i];
        if (change.record) out.record_upserts.push_back({change.user_id, change.key, *change.record});
        else out.record_deletes.push_back({change.user_id, change.key.context_id, change.key.content_id});
    }
}

// A change to a table keyed by its id alone (the catalog, webhooks): a delete without a value,
// else the value `decode(id, value)` gives.
template <class T, class Decode>
pg_status decode_by_id(const write_batch::source_change& change, std::vector<std::string_view>& deletes,
                       std::vector<T>& upserts, Decode decode) {
    if (!change.value) {
        deletes.push_back(change.key);
    } else if (auto value = decode(change.key, *change.value)) {
        upserts.push_back(std::move(*value));
    } else {
        return undecodable(change, "value");
    }
    return {};
}

pg_status decode_change(const write_batch::source_change& change, decoded_batch& out) {
    switch (change.table) {
        case batch_table::catalog:
            return decode_by_id(change, out.catalog_deletes, out.catalog_upserts, decode_catalog_entry);
        case batch_table::enrolments: {
            const auto key = decode_enrolment_key(change.key);
            if (!key) return undecodable(change, "key");
            if (!change.value) {
                out.enrolment_deletes.push_back({key->user_id, key->collection_id, key->context_id});
            } else if (const auto value = decode_enrolment(*change.value)) {
                out.enrolment_keys.emplace_back(key->user_id,
                                                enrolment_key{std::string(key->collection_id), std::string(key->context_id)});
                out.enrolment_values.push_back(*value);
            } else {
                return undecodable(change, "value");
            }
            return {};
        }
        case batch_table::assessments: {
            const auto key = decode_key(change.key);
            if (!key) return undecodable(change, "key");
            if (!change.value) {
                out.assessment_deletes.push_back({key->user_id, key->context_id, key->content_id});
            } else if (auto state = decode_assessment_state(*change.value)) {
                out.assessment_keys.emplace_back(key->user_id,
                                                 record_key{std::string(key->context_id), std::string(key->content_id)});
                out.assessment_states.push_back(std::move(*state));
            } else {
                return undecodable(change, "value");
            }
            return {};
        }
        case batch_table::webhooks:
            return decode_by_id(change, out.webhook_deletes, out.webhook_upserts, decode_webhook);
        case batch_table::outbox:
            if (!change.value) {
                out.delivery_deletes.push_back(change.key);
            } else if (auto value = decode_delivery(*change.value)) {
                out.delivery_keys.push_back(change.key);
                out.delivery_values.push_back(std::move(*value));
            } else {
                return undecodable(change, "value");
            }
            return {};
    }
    return undecodable(change, "table");
}

pg_status decode_changes(const write_batch& batch, decoded_batch& out) {
    const auto& changes = batch.changes;
    const auto kept = row_batching::last_of_each_key(changes.size(), [&](std::size_t i) {
        return std::tie(changes[i].table, changes[i].key);
    });
    for (const std::size_t i : kept) {
        if (auto decoded = decode_change(changes[i], out); !decoded) return decoded;
    }
    return {};
}

// Adds one row function's outcome to the totals; false (with `error` set) when it failed.
bool tally(pg_outcome<std::size_t> outcome, std::size_t& total, std::optional<pg_error>& error) {
    if (!outcome) {
        error = outcome.error();
        return false;
    }
    total += outcome.value();
    return true;
}

// The ids a batch upserts and deletes in a table keyed by id, for its notice.
template <class T>
std::vector<std::string_view> changed_ids(const std::vector<T>& upserts, const std::vector<std::string_view>& deletes) {
    std::vector<std::string_view> ids(deletes.begin(), deletes.end());
    for (const auto& value : upserts) ids.push_back(value.id);
    return ids;
}

// Every other node learns of the batch's catalog and webhook changes from this notice, sent with
// the commit (shared_notice.hpp). A batch is a node's own changes, so this is never an echo of one
// applied from another node: those are not dirty and never come back here.
bool notify(transaction& txn, const decoded_batch& d, std::optional<pg_error>& error) {
    for (const auto& [table, ids] : {std::pair{shared_table::catalog, changed_ids(d.catalog_upserts, d.catalog_deletes)},
                                     std::pair{shared_table::webhooks, changed_ids(d.webhook_upserts, d.webhook_deletes)}}) {
        if (auto sent = notify_shared(txn, table, ids); !sent) {
            error = sent.error();
            return false;
        }
    }
    return true;
}

}  // namespace

void write_batch::add_record(std::string_view user_id, const record_key& key, const progress_record* record) {
    auto& change = records.emplace_back();
    change.user_id = std::string(user_id);
    change.key = key;
    if (record) change.record = *record;
}

change_visitor write_batch::collector(batch_table table) {
    return [this, table](std::string key, std::optional<std::string> value) {
        changes.push_back({table, std::move(key), std::move(value)});
    };
}

pg_outcome<batch_written> apply_batch(transaction& txn, const write_batch& batch) {
    decoded_batch d;
    split_records(batch, d);
    if (auto decoded = decode_changes(batch, d); !decoded) return decoded.error();

    // The views the row functions take, now that the decoded values no longer move.
    std::vector<enrolment_row> enrolment_upserts;
    enrolment_upserts.reserve(d.enrolment_keys.size());
    for (std::size_t i = 0; i < d.enrolment_keys.size(); ++i) {
        enrolment_upserts.push_back({d.enrolment_keys[i].first, d.enrolment_keys[i].second, d.enrolment_values[i]});
    }
    std::vector<assessment_row> assessment_upserts;
    assessment_upserts.reserve(d.assessment_keys.size());
    for (std::size_t i = 0; i < d.assessment_keys.size(); ++i) {
        assessment_upserts.push_back({d.assessment_keys[i].first, d.assessment_keys[i].second, d.assessment_states[i]});
    }
    std::vector<delivery_row> delivery_upserts;
    delivery_upserts.reserve(d.delivery_keys.size());
    for (std::size_t i = 0; i < d.delivery_keys.size(); ++i) delivery_upserts.push_back({d.delivery_keys[i], d.delivery_values[i]});

    // Tables in one fixed order, as every batch writes them, so two writers' locks cannot cross.
    // A row function with nothing to write sends nothing.
    batch_written written;
    std::optional<pg_error> error;
    const bool ok = tally(upsert_records(txn, d.record_upserts), written.upserted, error) &&
                    tally(delete_records(txn, d.record_deletes), written.deleted, error) &&
                    tally(upsert_catalog(txn, d.catalog_upserts), written.upserted, error) &&
                    tally(delete_catalog(txn, d.catalog_deletes), written.deleted, error) &&
                    tally(upsert_enrolments(txn, enrolment_upserts), written.upserted, error) &&
                    tally(delete_enrolments(txn, d.enrolment_deletes), written.deleted, error) &&
                    tally(upsert_assessments(txn, assessment_upserts), written.upserted, error) &&
                    tally(delete_assessments(txn, d.assessment_deletes), written.deleted, error) &&
                    tally(upsert_webhooks(txn, d.webhook_upserts), written.upserted, error) &&
                    tally(delete_webhooks(txn, d.webhook_deletes), written.deleted, error) &&
                    tally(upsert_deliveries(txn, delivery_upserts), written.upserted, error) &&
                    tally(delete_deliveries(txn, d.delivery_deletes), written.deleted, error) &&
                    notify(txn, d, error);
    if (!ok) return std::move(*error);
    return written;
}

std::vector<std::uint32_t> batch_partitions(const write_batch& batch) {
    std::vector<std::uint32_t> partitions;
    for (const auto& change : batch.records) partitions.push_back(partition_of(change.user_id));
    for (const auto& change : batch.changes) {
        if (change.table == batch_table::enrolments) {
            if (const auto key = decode_enrolment_key(change.key)) partitions.push_back(partition_of(key->user_id));
        } else if (change.table == batch_table::assessments) {
            if (const auto key = decode_key(change.key)) partitions.push_back(partition_of(key->user_id));
        }
    }
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
    return partitions;
}

}  // namespace progressd::store
