#pragma once
// progressctl import --url: NDJSON lines sent through a running server's native API. What the API
// can and cannot set (docs/progressctl.md, "Import through the API"):
// - catalog entries: POST /v1/contents:import, 500 a request; exact but for `learned` and
//   `updated_at`, which the server sets.
// - enrolments: PUT /v1/users/{user}/enrolments/{collection}?context_id= with enrolled_at,
//   expires_at and active; the server marks them `explicit` and sets updated_at.
// - records: one ping each (POST /v1/progress/batch, 500 a request) carrying the position,
//   duration, mimetype, details and, for a completed record, a `complete` event: the server merges
//   it as it would any ping, so time spent, views, coverage, replay windows, annotations and the
//   access times are not carried over.
// - assessments: each kept attempt re-submitted (POST /v1/assessments) with its id, score, max
//   score, submitted_at and passed; folded older attempts are not carried over.

#include "tools/ctl_import.hpp"

#include <istream>
#include <string>

namespace progressd::tools {

struct http_import_options {
    std::string url;      // http://host:port
    std::string api_key;  // a service key of the server
};

// Returns an exit status (ctl_ok, ctl_problem when a request failed, ctl_cannot_run).
int import_through_api(std::istream& in, const http_import_options& options);

}  // namespace progressd::tools
