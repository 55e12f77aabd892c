#pragma once
// A PGresult, cleared in the destructor (move-only), with typed access to its cells. Cells of a
// statement run with result_format::binary are read with the binary getters, those of a text one
// with text(); a getter returns nullopt for NULL or for bytes that are not its type, so a row the
// caller cannot trust is reported, never guessed at.

#include "store/postgres/pg_error.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace progressd::store {

enum class result_format : int { text = 0, binary = 1 };

class query_result {
public:
    query_result() = default;
    explicit query_result(PGresult* result) : result_(result) {}
    query_result(query_result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
    query_result& operator=(query_result&& other) noexcept {
        if (this != &other) {
            if (result_) PQclear(result_);
            result_ = std::exchange(other.result_, nullptr);
        }
        return *this;
    }
    ~query_result() {
        if (result_) PQclear(result_);
    }

    PGresult* get() const { return result_; }
    int rows() const { return result_ ? PQntuples(result_) : 0; }
    int columns() const { return result_ ? PQnfields(result_) : 0; }
    // Rows a command changed (INSERT, UPDATE, DELETE), 0 for others.
    std::uint64_t affected() const;

    bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
    // The cell's bytes as sent: text, or the binary representation. Empty for NULL.
    std::string_view bytes(int row, int column) const {
        return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
    }
    std::optional<std::string_view> text(int row, int column) const;  // nullopt: NULL
    std::optional<std::int64_t> int64(int row, int column) const;    // binary int8
    std::optional<std::int32_t> int32(int row, int column) const;    // binary int4
    std::optional<std::int16_t> int16(int row, int column) const;    // binary int2
    std::optional<double> float8(int row, int column) const;          // binary float8
    std::optional<bool> boolean(int row, int column) const;           // binary bool

private:
    PGresult* result_ = nullptr;
};

// The error a failed result carries (its sqlstate and primary message), or the connection's.
pg_error error_of(const PGresult* result, PGconn* connection);

}  // namespace progressd::store
