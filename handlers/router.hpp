#pragma once
// The routing table: (method, path pattern) → handler. Patterns are literal segments and
// `{name}` parameters, e.g. "/v1/progress/{content_id}". Matching extracts parameters once,
// answers 404 for unknown paths and 405 (with Allow) for known paths with another method, and
// authenticates the caller before a handler that needs a principal runs.
//
// Errors are written in the format of the API family a path belongs to: the `write_error` of a
// route matching the path (of any method, so a 405 too), else that of the longest family prefix
// the path falls under (a family claims its paths with add_family_prefix), else the native
// problem+json. Prefixes are looked at only when no route matched, so a matched request never
// pays for them. A 405's Allow is set by the router, whatever the format.
//
// Thread-safety: routes are added before the I/O threads start; afterwards the router is
// read-only and dispatch() may run on every I/O thread at once.

#include "app/call_context.hpp"
#include "handlers/api_error.hpp"
#include "handlers/auth/authenticator.hpp"
#include "handlers/http_types.hpp"
#include "handlers/thread_context.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd {

inline constexpr std::size_t max_path_params = 4;

struct request_context {
    const http_request& request;
    std::string_view path;
    std::string_view query;  // without '?'
    std::array<std::string_view, max_path_params> params{};  // percent-decoded
    const auth::principal* principal = nullptr;  // set for authenticated routes
    thread_context& thread;
    std::int64_t now_ms = 0;
    std::array<std::string, max_path_params> decoded_params{};  // backing text of decoded params

    // What the app layer's business steps take from a request: this thread's catalog view, the time.
    app::call_context call() const { return {thread.catalog, now_ms}; }
};

struct handler_result {
    http_response response;
    // Non-zero: the reply waits until the persister has committed this generation
    // (app::database::reply_waits_for), and becomes `not_durable` if that commit fails.
    std::uint64_t durable_generation = 0;
    http_response (*not_durable)() = nullptr;
};

using route_handler = std::function<handler_result(request_context&)>;
using error_writer = http_response (*)(const api_error&);

struct route_options {
    bool authenticated = true;
    std::size_t body_limit_multiplier = 1;  // the batch endpoint accepts 16× the body limit
    error_writer write_error = nullptr;     // the family's format; problem+json when null
};

struct dispatch_result {
    handler_result result;
    std::size_t route = 0;  // index into route_labels(), for metrics
};

class router {
public:
    explicit router(const auth::authenticator& authenticator) : authenticator_(authenticator) {}

    void add(http::verb method, std::string_view pattern, route_handler handler, route_options options = {});
    // Paths whose leading segments match `prefix` (a pattern as for add, e.g.
    // "/v1/users/{user_id}/published-courses") belong to a family: what no route there answers (a
    // 404; a 405 or an error before a handler unless the path's routes have a writer) is written
    // by `write_error`. The prefix with the most segments wins.
    void add_family_prefix(std::string_view prefix, error_writer write_error);

    dispatch_result dispatch(const http_request& request, thread_context& thread, std::int64_t now_ms) const;

    // Errors found by the server before a handler runs (body or headers too large, timeouts),
    // written in the format of the family the target belongs to.
    http_response error_for(std::string_view target, const api_error& error) const;
    // The methods the routes at `path` take, as a 405's Allow lists them ("GET, HEAD, PUT"); ""
    // when no route is there.
    std::string allowed_methods(std::string_view path) const { return methods_at(path, nullptr); }
    std::size_t body_limit_for(http::verb method, std::string_view target, std::size_t base_limit) const;

    // "METHOD pattern" per route, then one label for requests that matched no route.
    std::size_t route_count() const { return routes_.size() + 1; }
    std::string_view method_label(std::size_t index) const;
    std::string_view pattern_label(std::size_t index) const;

private:
    struct route {
        http::verb method;
        std::string pattern;
        std::vector<std::string> segments;  // "{…}" marks a parameter
        route_handler handler;
        route_options options;
    };
    struct family_prefix {
        std::vector<std::string> segments;
        error_writer write_error;
    };
    bool match(const route& candidate, std::string_view path, request_context* context) const;
    const route* find(http::verb method, std::string_view path, request_context* context) const;
    // The writer of errors at `path`, given the first route of any method there (or nullptr):
    // nullptr means problem+json.
    // allowed_methods, and the first route at `path` (of any method) through `first` when given.
    std::string methods_at(std::string_view path, const route** first) const;
    error_writer writer_for(std::string_view path, const route* same_path) const;

    const auth::authenticator& authenticator_;
    std::vector<route> routes_;
    std::vector<family_prefix> families_;
};

// Splits "path?query" into its parts.
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

}  // namespace progressd
