#include "tools/pg_move_copy.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/transaction.hpp"
#include "store/postgres/webhook_rows.hpp"
#include "store/postgres/write_batch.hpp"
#include "tools/lmdb_scan.hpp"
#include "tools/pg_move_verify.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace progressd::tools {
namespace {

constexpr std::string_view data_tables = "records, catalog, enrolments, assessments, webhooks, outbox";

// --- import ----------------------------------------------------------------------------------

// Commits the batch in a transaction of its own and empties it. No fence: the nodes are stopped,
// and a partition's ownership says nothing about rows written before any node ran.
void commit_batch(store::connection& conn, store::write_batch& batch) {
    if (batch.empty()) return;
    auto txn = take(store::transaction::begin(conn), "BEGIN");
    take(store::apply_batch(txn, batch), "write a batch");
    if (auto committed = txn.commit(); !committed) throw std::runtime_error("COMMIT: " + committed.error().message);
    batch = {};
}

// --- export ----------------------------------------------------------------------------------

struct lmdb_put {
    MDB_dbi dbi;
    std::string key;
    std::string value;
};

// Writes the chunk in one LMDB transaction, doubling the map and redoing the transaction when it
// is full, as the persister grows it (no transaction of ours is open then).
void write_chunk(store::lmdb_environment& environment, std::vector<lmdb_put>& chunk) {
    if (chunk.empty()) return;
    for (;;) {
        store::lmdb_transaction txn;
        int rc = environment.begin_write(txn);
        if (rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
        for (auto& put : chunk) {
            MDB_val key = store::as_val(put.key);
            MDB_val value = store::as_val(put.value);
            rc = mdb_put(txn.get(), put.dbi, &key, &value, 0);
            if (rc != MDB_SUCCESS) break;
        }
        if (rc == MDB_SUCCESS) rc = txn.commit();
        if (rc == MDB_SUCCESS) break;
        txn.abort();
        if (rc != MDB_MAP_FULL) throw store::lmdb_error("mdb_put", rc);
        if (const int grown = environment.set_map_size(environment.map_size() * 2); grown != MDB_SUCCESS) {
            throw store::lmdb_error("mdb_env_set_mapsize", grown);
        }
    }
    chunk.clear();
}

// One user's records, enrolments and assessment states, as the persister encodes them.
void add_user(store::connection& conn, const store::lmdb_environment& environment, const std::string& user,
              std::vector<lmdb_put>& chunk, move_counts& counts) {
    for (const auto& loaded : take(store::load_user(conn, user), "load records of " + user)) {
        lmdb_put put{environment.records(), {}, {}};
        store::encode_key(put.key, user, loaded.key);
        store::encode_record(put.value, loaded.record);
        chunk.push_back(std::move(put));
        ++counts[0];
    }
    for (const auto& loaded : take(store::load_user_enrolments(conn, user), "load enrolments of " + user)) {
        chunk.push_back({environment.enrolments(), store::encode_enrolment_key(user, loaded.key),
                         store::encode_enrolment(loaded.value)});
        ++counts[2];
    }
    for (const auto& loaded : take(store::load_user_assessments(conn, user), "load assessments of " + user)) {
        lmdb_put put{environment.assessments(), {}, store::encode_assessment_state(loaded.state)};
        store::encode_key(put.key, user, loaded.key);
        chunk.push_back(std::move(put));
        ++counts[3];
    }
}

}  // namespace

move_counts import_environment(const store::lmdb_environment& environment, store::connection& conn) {
    move_counts counts{};
    store::lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
    store::write_batch batch;

    scan_database(txn.get(), environment.records(), [&](std::string_view key, std::string_view value) {
        const auto decoded = store::decode_key(key);
        const auto record = decoded ? store::decode_record(value) : std::nullopt;
        if (!record) throw std::runtime_error("records: an LMDB entry does not decode (user " +
                                              std::string(decoded ? decoded->user_id : "?") + ")");
        const store::record_key record_key{std::string(decoded->context_id), std::string(decoded->content_id)};
        batch.add_record(decoded->user_id, record_key, &*record);
        ++counts[0];
        if (batch.size() >= move_chunk) commit_batch(conn, batch);
    });

    // The other kinds go in as their LMDB key and codec value: apply_batch decodes each into its
    // row exactly as for the persister's batches (and refuses one that does not decode).
    const std::pair<MDB_dbi, store::batch_table> sources[] = {
        {environment.catalog(), store::batch_table::catalog},
        {environment.enrolments(), store::batch_table::enrolments},
        {environment.assessments(), store::batch_table::assessments},
        {environment.webhooks(), store::batch_table::webhooks},
        {environment.outbox(), store::batch_table::outbox},
    };
    const std::size_t count_index[] = {1, 2, 3, 4, 5};
    for (std::size_t i = 0; i < std::size(sources); ++i) {
        scan_database(txn.get(), sources[i].first, [&](std::string_view key, std::string_view value) {
            batch.changes.push_back({sources[i].second, std::string(key), std::string(value)});
            ++counts[count_index[i]];
            if (batch.size() >= move_chunk) commit_batch(conn, batch);
        });
    }
    commit_batch(conn, batch);
    return counts;
}

bool database_holds_data(store::connection& conn) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < std::size(moved_kinds); ++i) {
        if (i > 0) sql += " OR ";
        sql += "EXISTS (SELECT 1 FROM " + std::string(moved_kinds[i]) + ")";
    }
    const auto result = take(conn.exec(sql), "look for rows");
    return result.text(0, 0).value_or("f") == "t";
}

void clear_data_tables(store::connection& conn) {
    take(conn.exec("BEGIN; TRUNCATE " + std::string(data_tables) + "; COMMIT"), "empty the data tables");
}

move_counts export_database(store::connection& conn, store::lmdb_environment& environment) {
    move_counts counts{};
    // One snapshot for the whole export, so a row changed meanwhile cannot tear it (nothing should
    // change it: the nodes are stopped).
    take(conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"), "BEGIN");
    take(conn.exec("DECLARE move_users NO SCROLL CURSOR FOR "
                   "SELECT user_id FROM records UNION SELECT user_id FROM enrolments "
                   "UNION SELECT user_id FROM assessments"),
         "list the users");
    std::vector<lmdb_put> chunk;
    for (;;) {
        const auto users = take(conn.exec("FETCH " + std::to_string(move_chunk) + " FROM move_users"), "list the users");
        if (users.rows() == 0) break;
        for (int row = 0; row < users.rows(); ++row) {
            add_user(conn, environment, std::string(users.text(row, 0).value_or("")), chunk, counts);
            if (chunk.size() >= move_chunk) write_chunk(environment, chunk);
        }
    }
    for (const auto& entry : take(store::load_catalog(conn), "load the catalog")) {
        chunk.push_back({environment.catalog(), entry.id, store::encode_catalog_entry(entry)});
        ++counts[1];
        if (chunk.size() >= move_chunk) write_chunk(environment, chunk);
    }
    for (const auto& hook : take(store::load_webhooks(conn), "load the webhooks")) {
        chunk.push_back({environment.webhooks(), hook.id, store::encode_webhook(hook)});
        ++counts[4];
        if (chunk.size() >= move_chunk) write_chunk(environment, chunk);
    }
    for (const auto& loaded : take(store::load_outbox(conn), "load the outbox")) {
        chunk.push_back({environment.outbox(), loaded.key, store::encode_delivery(loaded.value)});
        ++counts[5];
        if (chunk.size() >= move_chunk) write_chunk(environment, chunk);
    }
    write_chunk(environment, chunk);
    take(conn.exec("COMMIT"), "COMMIT");
    return counts;
}

}  // namespace progressd::tools
