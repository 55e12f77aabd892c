#pragma once
// Serializes a response into one contiguous buffer, so it leaves in one write system call.
//
// Beast's serializer is general (chunked bodies, buffer sequences, partial writes) and costs
// more than the rest of a ping's handling; our bodies are always complete strings.

#include "handlers/http_types.hpp"

#include <string>

namespace progressd {

// Replaces `out` with the status line, the header fields, a blank line and the body. The
// response must already carry its Content-Length (prepare_payload, or set for HEAD).
void serialize_response(const http_response& response, std::string& out);

}  // namespace progressd
