#pragma once
// What a webhook delivery sends (docs/webhooks.md): the event as JSON and the headers that let the
// receiver check it came from us. Pure functions; the sender (server/webhook_sender.cpp) does the
// network part.

#include "store/events.hpp"
#include "store/webhooks.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd {

// {"id", "type", "created_at", "payload": {…}}; the same bytes on every attempt.
std::string webhook_body(const store::progress_event& event);

// "sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<body>"): the timestamp is signed too, so a
// receiver that rejects old timestamps is safe from replays.
std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body);

// Every header of one attempt besides Host, Content-Type and Content-Length.
std::vector<std::pair<std::string, std::string>> webhook_headers(const store::webhook& target,
                                                                 const store::progress_event& event,
                                                                 std::string_view body, std::int64_t timestamp_s);

}  // namespace progressd
