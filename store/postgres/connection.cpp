#include "store/postgres/connection.hpp"

#include <array>

namespace progressd::store {

pg_outcome<connection> connection::open(const std::string& conninfo) {
    // expand_dbname makes the dbname value a whole connection string or URI, whose settings
    // override the ones before it: those are defaults. The fallback name applies only when the
    // string sets no application_name. A database that vanished (a host down, a cable pulled)
    // must show up as an error within seconds, not the kernel's two hours, or the membership
    // and persister threads would sit in a read while their leases run out: hence a connect
    // timeout and TCP keepalives.
    const std::array<const char*, 8> keywords{"fallback_application_name", "connect_timeout", "keepalives",
                                              "keepalives_idle", "keepalives_interval", "keepalives_count",
                                              "dbname", nullptr};
    const std::array<const char*, 8> values{"progressd", "5", "1", "5", "2", "3", conninfo.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (!conn) return pg_error{pg_errc::connection_failed, {}, "out of memory opening a PostgreSQL connection"};
    connection opened(conn);
    // libpq prints the server's notices ("relation … already exists, skipping") on stderr by
    // default; they are informational, and a server's stderr is its log's.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    if (PQstatus(conn) != CONNECTION_OK) {
        pg_error error = error_of(nullptr, conn);
        error.code = pg_errc::connection_failed;
        return error;
    }
    return opened;
}

connection& connection::operator=(connection&& other) noexcept {
    if (this != &other) {
        if (conn_) PQfinish(conn_);
        conn_ = std::exchange(other.conn_, nullptr);
        prepared_ = std::move(other.prepared_);
    }
    return *this;
}

connection::~connection() {
    if (conn_) PQfinish(conn_);
}

pg_outcome<query_result> connection::finish(PGresult* raw) {
    query_result result(raw);
    const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    return error_of(raw, conn_);
}

pg_outcome<query_result> connection::exec(std::string_view sql) {
    const std::string text(sql);  // libpq wants a terminated string
    return finish(PQexec(conn_, text.c_str()));
}

pg_outcome<query_result> connection::exec(std::string_view sql, const query_params& params, result_format format) {
    const std::string text(sql);
    const auto v = params.make_views();
    return finish(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, v.values.data(),
                               v.lengths.data(), v.formats.data(), static_cast<int>(format)));
}

pg_outcome<query_result> connection::run(const statement& stmt, const query_params& params, result_format format) {
    const std::string name(stmt.name);
    if (!prepared_.contains(stmt.name)) {
        const std::string sql(stmt.sql);
        // Parameter types come from the casts in the SQL ($1::int8[]), so none are given here.
        auto prepared = finish(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
        if (!prepared) return prepared.error();
        prepared_.insert(stmt.name);
    }
    const auto v = params.make_views();
    return finish(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), v.values.data(),
                                 v.lengths.data(), v.formats.data(), static_cast<int>(format)));
}

}  // namespace progressd::store
