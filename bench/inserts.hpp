// The inserts profile: POST /v1/progress with each body drawn at random as it is sent, as
// ../shared/peers/post.lua does: user-%06d over --users, content-%04d over --contents, a position.
//
// The pre-built pool of the pings profile repeats after --pool requests (65 536), so after the
// first second every ping of a long run updates a record that exists. Here nothing repeats on
// purpose: over the default 100 000 users x 1 000 contents nearly every ping creates a record, and
// the server's store keeps growing for as long as the run lasts (bench/compare --growing). A body
// costs the generator one snprintf more than a pooled one. The same --seed draws the same pings, so
// runs against one server kept up need seeds of their own (bench/compare --growing gives them).
//
// Thread-safety: an inserts_source belongs to one connection; each draws from its own generator,
// seeded from --seed and the connection's index.
#pragma once

#include <memory>

#include "bench/options.hpp"
#include "bench/request_source.hpp"

namespace bench {

std::unique_ptr<request_source> make_inserts_source(const options& o, std::size_t index);

}  // namespace bench
