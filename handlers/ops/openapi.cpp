#include "handlers/ops/openapi.hpp"

#include <string>
#include <utility>

namespace progressd {

void register_openapi_route(router& routes) {
    // The document describes the API and holds no data: no credential, as for /livez and /metrics.
    const route_options open{.authenticated = false};
    routes.add(
        http::verb::get, "/openapi.json",
        [](request_context&) -> handler_result {
            http_response response{http::status::ok, 11};
            response.set(http::field::content_type, "application/json");
            response.body() = std::string(openapi_document());
            return {std::move(response)};
        },
        open);
}

}  // namespace progressd
