#pragma once
// One LMDB row read or written directly, in a transaction of its own: for tests that set up or
// inspect the database around the code under test.

#include "store/persist/lmdb.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace progressd::testing {

inline std::optional<std::string> read_row(const store::lmdb_environment& environment, MDB_dbi database,
                                           std::string_view key) {
    store::lmdb_transaction txn;
    BOOST_REQUIRE(environment.begin_read(txn) == MDB_SUCCESS);
    MDB_val k = store::as_val(key);
    MDB_val value{};
    if (mdb_get(txn.get(), database, &k, &value) != MDB_SUCCESS) return std::nullopt;
    return std::string(store::as_view(value));
}

inline void write_row(const store::lmdb_environment& environment, MDB_dbi database, std::string_view key,
                      std::string_view value) {
    store::lmdb_transaction txn;
    BOOST_REQUIRE(environment.begin_write(txn) == MDB_SUCCESS);
    MDB_val k = store::as_val(key);
    MDB_val v = store::as_val(value);
    BOOST_REQUIRE(mdb_put(txn.get(), database, &k, &v, 0) == MDB_SUCCESS);
    BOOST_REQUIRE(txn.commit() == MDB_SUCCESS);
}

}  // namespace progressd::testing
