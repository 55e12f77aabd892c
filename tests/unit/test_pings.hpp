#pragma once
// Pings for the store's unit tests, built from what a test says about them; the rest keeps a
// default. Every member of `ping_fields` has one, so a designated initialiser names only what
// matters (GCC warns about a member left out that has none, as store::ping's strings and optionals):
//   make_ping({.content = "c1", .position = 30, .context = "course-7"})
//   make_ping({.content = "video", .duration = 600, .time_spent = 0, .mimetype = "video/mp4"})
// and watch("c1", 30, "course-7") is the short form of the first. (Not one overloaded name: GCC 12
// would weigh a designated list against std::string's constructors too, and find it ambiguous.)
//
// Not a first include: a test starts with the header of the unit it tests (tests/CMakeLists.txt
// picks the store's tests for the TSan build by that first include).

#include "store/ping.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace progressd::testing {

// Playing `content` (in `context`, empty: organic) up to `position` of a `duration`-second item,
// `time_spent` seconds after the previous ping. Members in the order a designated initialiser
// names them; the defaults are what most of the store's tests want.
struct ping_fields {
    std::string content = {};
    double position = 10;
    std::string context = {};
    double duration = 100;
    double time_spent = 1;
    std::string details = {};  // a JSON object; empty: none
    std::optional<std::string> session = {};
    std::optional<std::int64_t> seq = {};
    std::optional<std::int64_t> ts = {};  // client clock, ms since the epoch
    std::optional<std::string> mimetype = {};
};

inline store::ping make_ping(ping_fields what) {
    store::ping p;
    p.context_id = std::move(what.context);
    p.content_id = std::move(what.content);
    p.position_seconds = what.position;
    p.duration_seconds = what.duration;
    p.time_spent_delta_seconds = what.time_spent;
    p.session_id = std::move(what.session);
    p.seq = what.seq;
    p.ts = what.ts;
    p.mimetype = std::move(what.mimetype);
    if (!what.details.empty()) p.details = std::move(what.details);
    return p;
}

inline store::ping watch(std::string content, double position = 10, std::string context = {}) {
    return make_ping({.content = std::move(content), .position = position, .context = std::move(context)});
}

}  // namespace progressd::testing
