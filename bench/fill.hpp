// The fill profile: writes every record of --users x --contents exactly once, in batches, then
// stops. For the scale benchmarks (bench/flush-impact): a server preloaded with a known number of
// distinct records, or all of them made dirty again, as fast as the batch endpoint takes them.
//
// Record r (0 <= r < users * contents) is user-%06d r % users, content-%04d r / users: contents
// in turn, every user's map growing a record at a time, as under real traffic. Batch b holds
// records [b * batch_size, (b + 1) * batch_size); connection i of N sends the batches b with
// b % N == i. Unlike the other profiles the bodies are built as they are sent (1 M records would
// not fit the 128 MiB pool), so fill measures the server's ingest, not a pre-built request rate.
//
// A source returns a request with part_count == 0 when its share is done; the connection then
// ends, and the run ends once every connection has (or --duration has passed).
//
// Thread-safety: a fill_source belongs to one connection.
#pragma once

#include <memory>

#include "bench/options.hpp"
#include "bench/request_source.hpp"

namespace bench {

std::unique_ptr<request_source> make_fill_source(const options& o, std::size_t index, std::size_t count);

}  // namespace bench
