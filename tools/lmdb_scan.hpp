#pragma once
// Reading one named LMDB database in key order, for the tools that stream a data dir rather than
// load it into the server's stores.

#include "store/persist/lmdb.hpp"

#include <lmdb.h>

#include <string_view>

namespace progressd::tools {

// Calls visit(key, value) for every entry of `dbi`, in key order, inside `txn`; the views are valid
// only during the call. Throws store::lmdb_error when LMDB fails.
template <class Visit>
void scan_database(MDB_txn* txn, MDB_dbi dbi, Visit&& visit) {
    MDB_cursor* cursor = nullptr;
    if (const int rc = mdb_cursor_open(txn, dbi, &cursor); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_cursor_open", rc);
    struct closer {
        MDB_cursor* cursor;
        ~closer() { mdb_cursor_close(cursor); }
    } close_at_end{cursor};
    MDB_val key{};
    MDB_val value{};
    int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        visit(store::as_view(key), store::as_view(value));
        rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) throw store::lmdb_error("mdb_cursor_get", rc);
}

}  // namespace progressd::tools
