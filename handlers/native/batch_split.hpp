#pragma once
// A batch of pings (POST /v1/progress/batch) cut into parts and its answers put back together, for
// a cluster node that serves a batch whose users belong to several nodes (docs/cluster.md, "Any
// node answers any request"): each part goes where its users are owned, and the items of the
// parts' answers are merged into one answer, in the batch's order.
//
// Only JSON here: which node a user belongs to is the caller's business (server/cluster_gate.cpp).
//
// Thread-safety: pure functions, and a batch_results used by one thread.

#include "handlers/api_error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

struct batch_parts {
    std::size_t ping_count = 0;
    // Per group: the batch with only that group's pings (its other members kept), "" when the
    // group has none.
    std::vector<std::string> bodies{};
    // Per group: where its pings stood in the batch, ascending.
    std::vector<std::vector<std::size_t>> positions{};
};

// Splits `body` ({"pings":[…], …}) into `group_count` parts: a ping goes to group_of(its user_id),
// which is "" for a ping with no user_id string (or that is no object), and must be below
// group_count. nullopt when the body is no JSON object with a non-empty `pings` array: then the
// batch handler refuses it whole, wherever it runs.
std::optional<batch_parts> split_batch(std::string_view body, std::size_t group_count,
                                       const std::function<std::size_t(std::string_view user_id)>& group_of);

// An item of a batch's answer for a ping that failed alone: {"status":N,"error":{problem+json}},
// as the batch handler writes one.
std::string batch_error_item(const api_error& error);
// The item for each ping of a part whose whole answer was a failure of `status` (a 503 of the node
// that served it): that answer's body as the error when it is a JSON object, else `otherwise`'s.
std::string batch_failed_item(unsigned status, std::string_view answer_body, const api_error& otherwise);

// The items of a batch's answer, gathered part by part.
class batch_results {
public:
    explicit batch_results(std::size_t ping_count) : items_(ping_count) {}

    // Places the items of a part's answer, {"results":[…]}, at `positions` (one item per
    // position, in order), an error item's field paths renumbered from the part's pings to the
    // batch's ("pings[1].x" of a part whose second ping was the batch's eighth: "pings[7].x").
    // False, placing nothing, when the answer is no such object or holds another number of items.
    bool place(std::string_view answer_body, std::span<const std::size_t> positions);
    // A part's whole answer, of `status`: 200 with its items places them (as place); a failure
    // of the node that served the part (5xx, or a 200 that does not fit it) gives each of its
    // pings an error item (batch_failed_item; a 503 for the 200); any other status (401, 413, a
    // 422 for the whole body) is the whole request's failure: nothing is placed, and the caller
    // answers it as it came.
    enum class outcome : std::uint8_t { placed, failed, whole };
    outcome absorb(unsigned status, std::string_view answer_body, std::span<const std::size_t> positions);
    // Puts `item` (JSON text) at every one of `positions`.
    void fill(std::string_view item, std::span<const std::size_t> positions);

    // Whether every ping has its item.
    bool complete() const;
    // {"results":[…]}; a ping without an item reads as null (complete() says whether any does).
    std::string text() const;

private:
    std::vector<std::optional<std::string>> items_;
};

}  // namespace progressd
