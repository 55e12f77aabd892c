#pragma once
// GET /openapi.json: the native API's OpenAPI 3.1 document (docs/openapi.json), embedded in the
// binary when it is built, so the server always serves the document of its own version.

#include "handlers/router.hpp"

#include <string_view>

namespace progressd {

// The bytes of docs/openapi.json as built in (defined in the file embed_openapi.cmake generates).
std::string_view openapi_document();

// Registered beside the ops routes: unauthenticated, like them.
void register_openapi_route(router& routes);

}  // namespace progressd
