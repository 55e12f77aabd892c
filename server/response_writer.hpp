#pragma once
// Serializes a response into one contiguous buffer, so it leaves in one write system call.
//
// Beast's serializer is general (chunked bodies, buffer sequences, partial writes) and costs
// more than the rest of a ping's handling; our bodies are always complete strings. The framing
// fields are the server's, written here rather than stored in the response first
// (prepare_payload, keep_alive): each stored field is an allocation and a tree insert per request.
// So is the JSON content type, the one field nearly every answer would otherwise store.

#include "handlers/http_types.hpp"

#include <string>
#include <string_view>

namespace progressd {

struct response_framing {
    unsigned version = 11;    // the request's: 10 or 11
    bool keep_alive = false;  // the connection stays open after this response
    bool head = false;        // the answer to a HEAD request: fields only, no body
    // CORS on (server/cors.hpp): the answer depends on the request's Origin, which caches must know.
    bool vary_origin = false;
    // The request's Origin when CORS allows it: the answer names it and exposes the fields a page
    // reads. Empty: no CORS fields.
    std::string_view cors_origin{};
};

// Replaces `out` with the status line, the handler's fields, then Content-Type: application/json
// when there is content and the handler set no type (JSON is what every API family answers; CSV,
// problem+json and the metrics text set theirs), Content-Length (from the body, unless the handler
// set one or the status allows no body: 1xx, 204, 304) and Connection (when keep-alive differs from
// the version's default), Retry-After: 1 on a 503 without one, the CORS fields the framing asks
// for, a blank line and the body.
void serialize_response(const http_response& response, response_framing framing, std::string& out);

}  // namespace progressd
