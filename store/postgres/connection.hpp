#pragma once
// One libpq connection (move-only; PQfinish in the destructor), and the statements progressd runs
// on it.
//
// Every call blocks until the server answers. That is the design, not an oversight: this library
// is used from threads of its own (the persister's, a loader's), never from an I/O thread, where a
// round trip to PostgreSQL would stall every connection the thread serves. libpq's rule holds
// too: a connection is used by one thread at a time, so each such thread opens its own.
//
// Prepared statements are named constants (`statement`); run() prepares one on first use on this
// connection and reuses it after, so a batch costs one round trip, not a parse and a plan. A
// connection that broke (pg_errc::connection_failed) is dropped and a new one opened: its prepared
// statements go with it.

#include "store/postgres/pg_error.hpp"
#include "store/postgres/query_params.hpp"
#include "store/postgres/query_result.hpp"

#include <libpq-fe.h>

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace progressd::store {

// A statement prepared once per connection under its name. The name must be unique per SQL text.
struct statement {
    std::string_view name;
    std::string_view sql;
};

class connection {
public:
    // `conninfo`: a libpq connection string or URI ("host=/run/pg dbname=progress",
    // "postgresql://user@db:5432/progress"). Its application_name, when it names none, is
    // "progressd", so pg_stat_activity tells our sessions apart.
    static pg_outcome<connection> open(const std::string& conninfo);

    connection(connection&& other) noexcept
        : conn_(std::exchange(other.conn_, nullptr)), prepared_(std::move(other.prepared_)) {}
    connection& operator=(connection&& other) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    PGconn* get() const { return conn_; }
    bool healthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
    int server_version() const { return PQserverVersion(conn_); }  // 150004 for 15.4

    // One or more SQL commands without parameters (schema steps, BEGIN, COMMIT); the last
    // command's result.
    pg_outcome<query_result> exec(std::string_view sql);
    // One statement with parameters, parsed every time: for the rare and the ad hoc.
    pg_outcome<query_result> exec(std::string_view sql, const query_params& params,
                                  result_format format = result_format::text);
    // A named statement, prepared on this connection on first use.
    pg_outcome<query_result> run(const statement& stmt, const query_params& params,
                                 result_format format = result_format::text);

private:
    explicit connection(PGconn* conn) : conn_(conn) {}
    pg_outcome<query_result> finish(PGresult* result);

    PGconn* conn_ = nullptr;
    std::unordered_set<std::string_view> prepared_;  // names; statements are constants that outlive us
};

}  // namespace progressd::store
