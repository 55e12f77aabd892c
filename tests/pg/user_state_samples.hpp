#pragma once
// One user's whole state written to PostgreSQL for the user-state suites: a record of every shape,
// every enrolment and assessment shape, under keys whose byte order differs from a collation's
// (upper case, accents, the empty context).

#include "row_helpers.hpp"
#include "sample_records.hpp"
#include "sample_rows.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/record_rows.hpp"

#include <string>
#include <utility>
#include <vector>

namespace progressd::testing {

struct user_state_sample {
    std::vector<std::pair<store::record_key, store::progress_record>> records{};
    std::vector<std::pair<store::enrolment_key, store::enrolment>> enrolments{};
    std::vector<std::pair<store::record_key, store::assessment_state>> assessments{};
};

inline user_state_sample sample_state() {
    user_state_sample sample;
    const std::vector<std::string> contexts{"", "B", "a", "é"};
    const auto shapes = record_shapes();
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        sample.records.push_back({{contexts[i % contexts.size()], "lesson-" + std::to_string(i)}, shapes[i]});
    }
    sample.enrolments = enrolment_shapes();
    const auto states = assessment_shapes();
    for (std::size_t i = 0; i < states.size(); ++i) {
        sample.assessments.push_back({{contexts[i % contexts.size()], "quiz-" + std::to_string(i)}, states[i]});
    }
    return sample;
}

// Writes `sample` as `user_id`'s rows in one transaction.
inline void write_state(store::connection& conn, std::string_view user_id, const user_state_sample& sample) {
    std::vector<store::record_row> records;
    for (const auto& [key, record] : sample.records) records.push_back({user_id, key, record});
    std::vector<store::enrolment_row> enrolments;
    for (const auto& [key, value] : sample.enrolments) enrolments.push_back({user_id, key, value});
    std::vector<store::assessment_row> assessments;
    for (const auto& [key, state] : sample.assessments) assessments.push_back({user_id, key, state});
    committed(conn, [&](store::transaction& txn) -> store::pg_outcome<std::size_t> {
        auto written = store::upsert_records(txn, records);
        if (!written) return written;
        if (auto more = store::upsert_enrolments(txn, enrolments); !more) return more;
        return store::upsert_assessments(txn, assessments);
    });
}

}  // namespace progressd::testing
