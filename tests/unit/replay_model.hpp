#pragma once
// A reference model of merge rule 3 (docs/data-model.md): which (session_id, seq) pings count, and
// a driver that plays random interleavings of sessions, retries and reorderings through
// store::merge and the model side by side. Used by tests/unit/merge_model_test.cpp (many seeds)
// and fuzz/session_window_fuzz.cpp (the fuzzer's bytes as the choices).
//
// The model is written the obvious way, to be believed: per session the set of seqs it applied,
// the sessions in a list most recent first, cut at replay_window::max_sessions. A seq is a
// duplicate when its session remembers it, or when it is 64 or more behind the session's highest
// (the window's bound). A ping of a session no longer remembered starts it again.
//
// Not a first include: a test starts with the header of the unit it tests.

#include "store/codec/record_codec.hpp"
#include "store/merge.hpp"
#include "store/record.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <set>
#include <string>
#include <vector>

namespace progressd::testing {

class replay_model {
public:
    // Returns true when the ping counts (is not a duplicate), and then remembers it.
    bool apply(const std::string& session, std::int64_t seq) {
        auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const known& s) { return s.id == session; });
        if (it != sessions_.end()) {
            if (it->seen.count(seq) != 0 || seq <= it->highest - 64) return false;
            it->seen.insert(seq);
            it->highest = std::max(it->highest, seq);
            sessions_.splice(sessions_.begin(), sessions_, it);
            return true;
        }
        sessions_.push_front({session, seq, {seq}});
        if (sessions_.size() > store::replay_window::max_sessions) sessions_.pop_back();
        return true;
    }

private:
    struct known {
        std::string id;
        std::int64_t highest;
        std::set<std::int64_t> seen;
    };
    std::list<known> sessions_;  // most recent first
};

struct model_run {
    bool ok = true;
    std::string failure;  // what differed, at which step
    std::size_t pings = 0;
    std::size_t duplicates = 0;
};

// Plays one random history. `choose(n)` returns a choice in [0, n) (n ≥ 1); `more()` says whether
// to go on (a fuzzer's bytes run out, a test's step budget). Sessions: 1 to 6, so the bound of 4 is
// sometimes passed. Each step is one of: the next ping of a session (seq + 1, or a jump of up to 100
// that leaves a gap), a gap filled late (a reordering), an exact repeat of any earlier ping (a
// retry), or the record's trip through the LMDB codec (what a restart does to it).
template <class Choose, class More>
model_run run_replay_model(Choose&& choose, More&& more) {
    struct sent {
        std::size_t session;
        std::int64_t seq;
        double delta;
        bool start;
    };
    const store::merge_rules rules{95};
    const std::size_t session_count = 1 + choose(6);
    std::vector<std::int64_t> next_seq(session_count, 0);
    std::vector<std::vector<std::int64_t>> gaps(session_count);
    std::vector<sent> history;
    store::progress_record record;
    replay_model model;
    double expected_time = 0;
    std::uint32_t expected_views = 0;
    model_run run;
    std::int64_t now = 1'700'000'000'000;

    while (more()) {
        sent ping{};
        const std::size_t action = choose(10);
        if (action == 9) {
            std::string bytes;
            store::encode_record(bytes, record);
            auto decoded = store::decode_record(bytes);
            if (!decoded) return {false, "a record does not decode", run.pings, run.duplicates};
            record = std::move(*decoded);
            continue;
        }
        if (action >= 6 && !history.empty()) {
            ping = history[choose(history.size())];
        } else {
            ping.session = choose(session_count);
            auto& gap = gaps[ping.session];
            if (action == 5 && !gap.empty()) {
                const std::size_t i = choose(gap.size());
                ping.seq = gap[i];
                gap.erase(gap.begin() + static_cast<std::ptrdiff_t>(i));
            } else {
                const std::int64_t step = choose(8) == 0 ? 1 + static_cast<std::int64_t>(choose(100)) : 1;
                for (std::int64_t s = next_seq[ping.session] + 1; s < next_seq[ping.session] + step; ++s) {
                    if (gap.size() < 16) gap.push_back(s);
                }
                next_seq[ping.session] += step;
                ping.seq = next_seq[ping.session];
            }
            ping.delta = static_cast<double>(1 + choose(10));
            ping.start = choose(4) == 0;
            history.push_back(ping);
        }

        store::ping observation;
        observation.content_id = "c";
        observation.session_id = "session-" + std::to_string(ping.session);
        observation.seq = ping.seq;
        observation.time_spent_delta_seconds = ping.delta;
        if (ping.start) observation.event = store::ping_event::start;
        const auto outcome = store::merge(record, observation, rules, ++now);
        const bool counts = model.apply(*observation.session_id, ping.seq);
        ++run.pings;
        if (!counts) ++run.duplicates;
        if (counts) {
            expected_time += ping.delta;
            if (ping.start) ++expected_views;
        }
        if (outcome.duplicate == counts || record.time_spent_seconds != expected_time ||
            record.views != expected_views) {
            return {false,
                    "ping " + std::to_string(run.pings) + " (" + *observation.session_id + ", " +
                        std::to_string(ping.seq) + "): model says " + (counts ? "new" : "duplicate") +
                        ", merge says " + (outcome.duplicate ? "duplicate" : "new") + "; time " +
                        std::to_string(record.time_spent_seconds) + " expected " + std::to_string(expected_time),
                    run.pings, run.duplicates};
        }
        if (record.replay.sessions() > store::replay_window::max_sessions) {
            return {false, "more sessions remembered than the bound", run.pings, run.duplicates};
        }
    }
    return run;
}

}  // namespace progressd::testing
