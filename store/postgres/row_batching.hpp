#pragma once
// What the row files of records, the catalog, enrolments, assessments, webhooks, the outbox and
// record deletes share: which rows of a call to write, in which order, in how many statements;
// running a statement on column arrays; deleting by text keys; loading rows and the error for a
// row that does not decode.

#include "store/postgres/connection.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/pg_error.hpp"
#include "store/postgres/record_deletes.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/transaction.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace progressd::store::row_batching {

// Indexes of the rows to write: the last of each key, in key order. ON CONFLICT refuses to touch
// one row twice in a statement, a later change supersedes an earlier one, and a fixed order keeps
// two writers' row locks from deadlocking. `key_of(i)` returns something ordered (a std::tie).
template <class KeyOf>
std::vector<std::size_t> last_of_each_key(std::size_t count, KeyOf key_of) {
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key_of(a) < key_of(b); });
    std::vector<std::size_t> kept;
    kept.reserve(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size() && key_of(order[i]) == key_of(order[i + 1])) continue;  // a later one follows
        kept.push_back(order[i]);
    }
    return kept;
}

// Calls `run(begin, end)` for each chunk of [0, count) of at most max_rows_per_statement rows
// (one statement, one round trip each); `run` returns the rows its statement changed. Stops at
// the first error. Returns the rows changed in all.
template <class Run>
pg_outcome<std::size_t> in_chunks(std::size_t count, Run run) {
    std::size_t changed = 0;
    for (std::size_t begin = 0; begin < count; begin += max_rows_per_statement) {
        const std::size_t end = std::min(count, begin + max_rows_per_statement);
        pg_outcome<std::size_t> done = run(begin, end);
        if (!done) return done.error();
        changed += done.value();
    }
    return changed;
}

// "<table> row (<key>): <what>", the error of a row that does not decode.
inline pg_error malformed_row(std::string_view table, std::string_view key, std::string_view what) {
    std::string message(table);
    message.append(" row (").append(key).append("): ").append(what);
    return pg_error{pg_errc::malformed_row, {}, std::move(message)};
}

// The key of a per-user row for malformed_row: "<user>, <first>, <second>".
inline std::string user_row_key(std::string_view user_id, std::string_view first, std::string_view second) {
    std::string key(user_id);
    key.append(", ").append(first).append(", ").append(second);
    return key;
}

// Runs `stmt` inside the caller's transaction with these arrays as its binary parameters, in order.
inline pg_outcome<query_result> run_arrays(transaction& txn, const statement& stmt,
                                           std::initializer_list<const pg_binary::array_builder*> arrays) {
    query_params params;
    for (const auto* array : arrays) params.add_binary(array->finish());
    return txn.conn().run(stmt, params);
}

// Removes, inside the caller's transaction, the rows whose keys `key_of(i)` gives for i in
// [0, count): a std::tie of text parts, one per `$n::text[]` parameter of `stmt`, in order. Each
// key once, in key order (as last_of_each_key), in chunks of at most max_rows_per_statement keys;
// absent keys are no error. Returns the rows removed.
template <class KeyOf>
pg_outcome<std::size_t> delete_by_text_keys(transaction& txn, const statement& stmt, std::size_t count, KeyOf key_of) {
    constexpr std::size_t parts = std::tuple_size_v<decltype(key_of(std::size_t{0}))>;
    const auto kept = last_of_each_key(count, key_of);
    return in_chunks(kept.size(), [&](std::size_t begin, std::size_t end) -> pg_outcome<std::size_t> {
        std::vector<pg_binary::array_builder> arrays(parts, pg_binary::array_builder{pg_binary::text_oid});
        for (std::size_t i = begin; i < end; ++i) {
            std::apply([&](const auto&... part) {
                std::size_t column = 0;
                (arrays[column++].add_bytes(part), ...);
            }, key_of(kept[i]));
        }
        query_params params;
        for (const auto& array : arrays) params.add_binary(array.finish());
        auto deleted = txn.conn().run(stmt, params);
        if (!deleted) return deleted.error();
        return static_cast<std::size_t>(deleted->affected());
    });
}

// The same for rows keyed by one text id (`$1::text[]`).
inline pg_outcome<std::size_t> delete_by_text_keys(transaction& txn, const statement& stmt,
                                                   std::span<const std::string_view> ids) {
    return delete_by_text_keys(txn, stmt, ids.size(), [&](std::size_t i) { return std::tie(ids[i]); });
}

// The same for rows keyed by user, context and content (`$1::text[], $2::text[], $3::text[]`).
inline pg_outcome<std::size_t> delete_by_text_keys(transaction& txn, const statement& stmt,
                                                   std::span<const user_record_key> keys) {
    return delete_by_text_keys(txn, stmt, keys.size(), [&](std::size_t i) {
        return std::tie(keys[i].user_id, keys[i].context_id, keys[i].content_id);
    });
}

// Runs a load statement for binary results and decodes each row with `decode_row(result, i)`,
// which returns a pg_outcome<T>: the first row that does not decode fails the whole load.
template <class T, class DecodeRow>
pg_outcome<std::vector<T>> load_rows(connection& conn, const statement& stmt, const query_params& params,
                                     DecodeRow decode_row) {
    auto result = conn.run(stmt, params, result_format::binary);
    if (!result) return result.error();
    std::vector<T> rows;
    rows.reserve(static_cast<std::size_t>(result->rows()));
    for (int i = 0; i < result->rows(); ++i) {
        pg_outcome<T> row = decode_row(result.value(), i);
        if (!row) return row.error();
        rows.push_back(std::move(row).value());
    }
    return rows;
}

// A load of one user's rows (`$1::text`, the user id): `decode_row(result, i, user_id)` returns a
// pg_outcome<T>, as for load_rows.
template <class T, class DecodeRow>
pg_outcome<std::vector<T>> load_user_rows(connection& conn, const statement& stmt, std::string_view user_id,
                                          DecodeRow decode_row) {
    query_params params;
    params.add_text(user_id);
    return load_rows<T>(conn, stmt, params,
                        [&](const query_result& result, int i) { return decode_row(result, i, user_id); });
}

// A load of the whole table as (key, payload) rows, with no parameters: `decode(key, payload)`
// returns a std::optional<T>, and a row it refuses fails the load as "<table> row (<key>): payload".
template <class T, class Decode>
pg_outcome<std::vector<T>> load_payload_rows(connection& conn, const statement& stmt, std::string_view table,
                                             Decode decode) {
    return load_rows<T>(conn, stmt, query_params{}, [&](const query_result& result, int i) -> pg_outcome<T> {
        const std::string_view key = result.bytes(i, 0);
        std::optional<T> row = decode(key, result.bytes(i, 1));
        if (!row) return malformed_row(table, key, "payload");
        return std::move(*row);
    });
}

}  // namespace progressd::store::row_batching
