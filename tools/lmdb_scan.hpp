#pragma once
// Reading one named LMDB database in key order, for the tools that stream a data dir rather than
// load it into the server's stores.

#include "store/persist/lmdb.hpp"

#include <lmdb.h>

#include <string_view>

namespace progressd::tools {

// Calls visit(key, value) for each entry from the cursor's `first` position (MDB_FIRST, or
// MDB_SET_RANGE with `key` set) on, in key order, while visit returns true; the views are valid
// only during the call. Throws store::lmdb_error when LMDB fails.
template <class Visit>
void scan_from(MDB_txn* txn, MDB_dbi dbi, MDB_val key, MDB_cursor_op first, Visit&& visit) {
    store::lmdb_cursor opened;
    if (const int rc = opened.open(txn, dbi); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_cursor_open", rc);
    MDB_cursor* cursor = opened.get();
    MDB_val value{};
    int rc = mdb_cursor_get(cursor, &key, &value, first);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (!visit(store::as_view(key), store::as_view(value))) return;
    }
    if (rc != MDB_NOTFOUND) throw store::lmdb_error("mdb_cursor_get", rc);
}

// Calls visit(key, value) for every entry of `dbi`, in key order, inside `txn`.
template <class Visit>
void scan_database(MDB_txn* txn, MDB_dbi dbi, Visit&& visit) {
    scan_from(txn, dbi, MDB_val{}, MDB_FIRST, [&](std::string_view key, std::string_view value) {
        visit(key, value);
        return true;
    });
}

// Entries whose key starts with `prefix`, in key order (one user's: keys begin user_id '\0').
template <class Visit>
void scan_prefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix, Visit&& visit) {
    scan_from(txn, dbi, store::as_val(prefix), MDB_SET_RANGE, [&](std::string_view key, std::string_view value) {
        if (!key.starts_with(prefix)) return false;
        visit(key, value);
        return true;
    });
}

}  // namespace progressd::tools
