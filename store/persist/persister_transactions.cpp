// How the persister writes a batch into LMDB (store/persist/persister.hpp): transactions cut
// between users, each change put through one cursor, the checkpoint marker in the last.
#include "store/persist/persister.hpp"

namespace progressd::store {

int persister::write_transactions(const std::vector<pending_write>& writes, std::size_t cut,
                                  std::optional<std::uint64_t> covers, std::size_t& committed) {
    int rc = MDB_SUCCESS;
    while (committed < writes.size()) {
        const std::size_t end = transaction_end(writes, committed, cut);
        const bool last = end == writes.size();
        rc = write_pending(writes, committed, end, covers, last);
        // Only the failed transaction is redone after growing: no transaction is open here.
        while (rc == MDB_MAP_FULL && grow_map()) rc = write_pending(writes, committed, end, covers, last);
        if (rc != MDB_SUCCESS) break;
        committed = end;
    }
    return rc;
}

std::size_t persister::transaction_end(const std::vector<pending_write>& writes, std::size_t begin, std::size_t cut) {
    if (cut == 0 || writes.size() - begin <= cut) return writes.size();
    std::size_t end = begin + cut;
    // Never between two adjacent changes of one user (in a sorted batch, all of them): they
    // commit together, as in an unsplit batch (and so do the changes of one key, which
    // put_in_order relies on).
    const std::string_view last_user = user_of(writes[end - 1].key);
    while (end < writes.size() && user_of(writes[end].key) == last_user) ++end;
    return end;
}

int persister::write_pending(const std::vector<pending_write>& writes, std::size_t begin, std::size_t end,
                             std::optional<std::uint64_t> covers, bool last) {
    lmdb_transaction txn;
    // Only the last transaction makes the batch durable (lmdb_environment::write_sync).
    using sync_kind = lmdb_environment::write_sync;
    if (const int rc = environment_.begin_write(txn, last ? sync_kind::full : sync_kind::data_only); rc != MDB_SUCCESS) return rc;
    if (const int rc = put_in_order(txn.get(), writes, begin, end); rc != MDB_SUCCESS) return rc;
    // The last transaction of a checkpoint marks every frame it holds as held by LMDB.
    if (covers && last) {
        if (const int rc = wal_->put_checkpoint(txn.get(), *covers); rc != MDB_SUCCESS) return rc;
    }
    return txn.commit();
}

int persister::put_in_order(MDB_txn* txn, const std::vector<pending_write>& writes, std::size_t begin, std::size_t end) {
    // Through one cursor per database rather than mdb_put: a cursor still on the leaf page that
    // holds the next key (in a sorted batch, keys are often neighbours) skips the descent from
    // the root; in collection order it descends for most of them, as mdb_put would.
    lmdb_cursor cursor;
    MDB_dbi cursor_database = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const pending_write& write = writes[i];
        // When sorted, a later change to the same key follows at once and supersedes this one:
        // skipping it saves the put, and a retry is not blocked by a value already replaced.
        if (i + 1 < end && writes[i + 1].database == write.database && writes[i + 1].key == write.key) continue;
        if (cursor.get() == nullptr || cursor_database != write.database) {
            if (const int rc = cursor.open(txn, write.database); rc != MDB_SUCCESS) return rc;
            cursor_database = write.database;
        }
        MDB_val key = as_val(write.key);
        int rc = MDB_SUCCESS;
        if (write.value) {
            MDB_val value = as_val(*write.value);
            rc = mdb_cursor_put(cursor.get(), &key, &value, 0);
        } else {
            MDB_val found{};
            rc = mdb_cursor_get(cursor.get(), &key, &found, MDB_SET);
            if (rc == MDB_SUCCESS) rc = mdb_cursor_del(cursor.get(), 0);
            if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;  // created and erased between two batches
        }
        if (rc != MDB_SUCCESS) return rc;
    }
    return MDB_SUCCESS;
}

}  // namespace progressd::store
