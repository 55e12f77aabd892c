#pragma once
// What the row files of the catalog, enrolments, assessments, webhooks, outbox and record deletes
// share: which rows of a call to write, in which order, in how many statements, and the error for
// a row that does not decode. (record_rows.cpp does the same for records, in its own words.)

#include "store/postgres/pg_error.hpp"
#include "store/postgres/record_rows.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>
#include <string_view>
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

}  // namespace progressd::store::row_batching
