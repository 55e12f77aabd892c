#include "store/postgres/transaction.hpp"

namespace progressd::store {

pg_outcome<transaction> transaction::begin(connection& conn) {
    auto begun = conn.exec("BEGIN");
    if (!begun) return begun.error();
    return transaction(conn);
}

transaction& transaction::operator=(transaction&& other) noexcept {
    if (this != &other) {
        rollback();
        conn_ = std::exchange(other.conn_, nullptr);
    }
    return *this;
}

pg_status transaction::commit() {
    connection* conn = std::exchange(conn_, nullptr);
    if (!conn) return pg_error{pg_errc::statement_failed, {}, "commit of a finished transaction"};
    auto committed = conn->exec("COMMIT");
    if (!committed) return committed.error();
    // COMMIT of a transaction that had failed answers ROLLBACK, not an error: nothing committed.
    if (std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
        return pg_error{pg_errc::statement_failed, "25P02", "the transaction had failed and was rolled back"};
    }
    return {};
}

void transaction::rollback() {
    if (connection* conn = std::exchange(conn_, nullptr); conn && conn->healthy()) {
        auto ignored = conn->exec("ROLLBACK");
        (void)ignored;
    }
}

}  // namespace progressd::store
