#include "store/postgres/query_result.hpp"

#include "store/postgres/pg_binary.hpp"

#include <charconv>

namespace progressd::store {

std::uint64_t query_result::affected() const {
    const std::string_view tuples = result_ ? PQcmdTuples(result_) : "";
    std::uint64_t count = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
    return count;
}

std::optional<std::string_view> query_result::text(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return bytes(row, column);
}

std::optional<std::int64_t> query_result::int64(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return pg_binary::get_be<std::int64_t>(bytes(row, column));
}

std::optional<std::int32_t> query_result::int32(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return pg_binary::get_be<std::int32_t>(bytes(row, column));
}

std::optional<std::int16_t> query_result::int16(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return pg_binary::get_be<std::int16_t>(bytes(row, column));
}

std::optional<double> query_result::float8(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return pg_binary::get_double(bytes(row, column));
}

std::optional<bool> query_result::boolean(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    const auto cell = bytes(row, column);
    if (cell.size() != 1 || (cell[0] != 0 && cell[0] != 1)) return std::nullopt;
    return cell[0] == 1;
}

pg_error error_of(const PGresult* result, PGconn* connection) {
    pg_error error;
    if (result) {
        if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) error.sqlstate = state;
        if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) error.message = primary;
    }
    if (error.message.empty() && connection) error.message = PQerrorMessage(connection);
    while (!error.message.empty() && (error.message.back() == '\n' || error.message.back() == ' ')) {
        error.message.pop_back();
    }
    // No sqlstate, or a class 08 one (connection exception), with a connection that is gone: the
    // statement never ran to an answer, and only a new connection can go on.
    const bool connection_lost = connection && PQstatus(connection) == CONNECTION_BAD;
    error.code = connection_lost || error.sqlstate.starts_with("08") ? pg_errc::connection_failed
                                                                      : pg_errc::statement_failed;
    return error;
}

}  // namespace progressd::store
