#pragma once
// One transaction on a connection: BEGIN when made, ROLLBACK in the destructor unless commit()
// was called, so an early return or an error path can never leave a transaction open (or commit
// half a batch). Move-only; it borrows the connection, which must outlive it and must not be used
// for anything else while it is open.

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_error.hpp"

#include <utility>

namespace progressd::store {

class transaction {
public:
    // BEGIN (read committed, the server's default: the fencing check relies on its re-check of
    // locked rows, fencing.hpp).
    static pg_outcome<transaction> begin(connection& conn);

    transaction(transaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
    transaction& operator=(transaction&& other) noexcept;
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction() { rollback(); }

    connection& conn() const { return *conn_; }
    bool open() const { return conn_ != nullptr; }

    // COMMIT. The transaction is finished either way; when the server refuses the commit
    // (a deferred constraint, a serialization failure) nothing of it was committed.
    pg_status commit();
    // ROLLBACK; nothing when already finished. Errors are ignored: a connection too broken to
    // roll back has lost the transaction anyway.
    void rollback();

private:
    explicit transaction(connection& conn) : conn_(&conn) {}

    connection* conn_ = nullptr;  // null once finished
};

}  // namespace progressd::store
