#pragma once
// Errors of the PostgreSQL layer as values. A failed statement, a lost connection or a refused
// commit are ordinary outcomes for a write-behind store (it keeps the batch and retries), so
// nothing here throws on the write path: every call returns a pg_outcome.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace progressd::store {

enum class pg_errc : std::uint8_t {
    connection_failed,  // could not connect, or the connection broke (retry on a new one)
    statement_failed,   // the server refused a statement (sqlstate says why)
    fenced,             // a fenced commit found a partition no longer ours at our epoch: nothing committed
    schema_too_new,     // the database was migrated by a newer build than this one
    malformed_row,      // a row that does not decode into what this build writes
};

struct pg_error {
    pg_errc code = pg_errc::statement_failed;
    std::string sqlstate;  // five characters from the server ("23505", "40001"…); empty when none
    std::string message;

    // Serialization failures and deadlocks: the transaction may simply be run again.
    bool retryable() const { return sqlstate == "40001" || sqlstate == "40P01"; }
};

// A value or the error that prevented it.
template <class T>
class [[nodiscard]] pg_outcome {
public:
    pg_outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    pg_outcome(pg_error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const pg_error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, pg_error> state_;
};

template <>
class [[nodiscard]] pg_outcome<void> {
public:
    pg_outcome() = default;
    pg_outcome(pg_error error) : error_(std::move(error)) {}

    bool ok() const { return !error_; }
    explicit operator bool() const { return ok(); }
    const pg_error& error() const { return *error_; }

private:
    std::optional<pg_error> error_;
};

using pg_status = pg_outcome<void>;

}  // namespace progressd::store
