#pragma once
// A ping: one incremental observation from a player (docs/data-model.md). Handlers validate and fill it;
// the merge rules consume it. Absent fields are std::nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace progressd::store {

enum class ping_event : std::uint8_t { update, start, end, complete };

struct ping {
    std::string context_id;
    std::string content_id;
    std::string collection_id;  // learned by the catalog, names the implicit enrolment (app/ping_effects)
    ping_event event = ping_event::update;
    std::optional<double> position_seconds;
    std::optional<double> duration_seconds;
    std::optional<double> progress_percent;
    double time_spent_delta_seconds = 0;
    std::optional<std::string> session_id;
    std::optional<std::int64_t> seq;
    std::optional<std::int64_t> ts;  // client timestamp, ms since epoch
    std::optional<std::string> mimetype;
    std::optional<std::string> details;  // serialized JSON object
    std::vector<std::pair<double, double>> segments;  // [from, to] seconds actually played
    std::string content_type;  // the catalog's type, when a completion rule needs it (else empty)

    friend bool operator==(const ping&, const ping&) = default;
};

}  // namespace progressd::store
