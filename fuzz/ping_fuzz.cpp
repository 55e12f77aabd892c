// Harness: the native ping's JSON path, as POST /v1/progress runs it. The input is the request
// body: parse_json_object into a stack arena, parse_ping for a user token and for a service key,
// then the merge into a store. A ping that is accepted must leave a record that survives the trip
// through LMDB's encoding: decode(encode(record)) gives back the same bytes, otherwise it would be
// dropped as corrupt at the next start.
//
// The DOM-free fast path (scan_flat_object, parse_flat_ping) runs on the same input: whatever it
// accepts, Boost.JSON must accept as an object, and parse_ping must accept with the same ping; and
// the batch fast path (parse_flat_batch) must read a batch of it as the same pings.

#include "handlers/json/flat_json.hpp"
#include "handlers/json/json_io.hpp"
#include "handlers/native/native_ping.hpp"
#include "store/codec/record_codec.hpp"
#include "store/progress_store.hpp"

#include <boost/json/monotonic_resource.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace progressd;

namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;

void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "ping_fuzz: %s\n", what);
    std::abort();
}

void check_round_trip(const store::progress_store& store, const parsed_ping& parsed) {
    const auto& ping = parsed.observation;
    const auto record = store.find(parsed.user_id, ping.context_id, ping.content_id);
    require(record.has_value(), "an applied ping left no record");
    std::string encoded;
    store::encode_record(encoded, *record);
    const auto decoded = store::decode_record(encoded);
    require(decoded.has_value(), "a record made by a ping does not decode");
    std::string again;
    store::encode_record(again, *decoded);
    require(again == encoded, "a record made by a ping changes through encode/decode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beast_request message{http::verb::post, "/v1/progress", 11};
    message.set(http::field::content_type, "application/json");
    message.body().assign(reinterpret_cast<const char*>(data), size);
    const http_request request = http_request::view_of(message);

    // The same arena the handler uses: a DOM that outgrows it must spill to the heap correctly.
    unsigned char arena_bytes[4096];
    boost::json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
    boost::json::object body(&arena);
    const bool is_object = !parse_json_object(request, body);
    flat_object flat;
    require(!scan_flat_object(request.body(), flat) || is_object, "the flat scanner accepted what Boost.JSON refuses");

    const auth::principal user{auth::principal::kind::user, "fuzz-user"};
    const auth::principal service{auth::principal::kind::service, {}};
    for (const auth::principal* principal : {&user, &service}) {
        parsed_ping fast;
        if (!parse_flat_ping(request.body(), *principal, fast)) continue;
        parsed_ping full;
        require(is_object && !parse_ping(body, *principal, {}, full), "the fast path accepted a ping the full path refuses");
        require((fast == full), "the fast path read a ping differently from the full path");

        // The same body twice in a batch: the batch fast path takes it exactly when it takes the ping.
        const std::string batch = "{\"pings\":[" + std::string(request.body()) + "," + std::string(request.body()) + "]}";
        std::vector<parsed_ping> items;
        require(parse_flat_batch(batch, *principal, 1000, items), "the batch fast path refused a batch of flat pings");
        require(items.size() == 2 && items[0] == full && items[1] == full, "the batch fast path read a ping differently");
    }
    if (!is_object) return 0;

    store::progress_store store(1, store::merge_rules{});
    for (const auth::principal* principal : {&user, &service}) {
        parsed_ping parsed;
        if (parse_ping(body, *principal, {}, parsed)) continue;
        // Twice: the second is a replay or a later observation of the same record.
        for (int i = 0; i < 2; ++i) {
            store.apply_ping(parsed.user_id, parsed.observation, now_ms + i * 1000);
            check_round_trip(store, parsed);
        }
    }
    return 0;
}
