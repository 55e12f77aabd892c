#include "handlers/router.hpp"

#include "handlers/problem.hpp"
#include "handlers/uri.hpp"

#include <boost/beast/http/verb.hpp>

namespace progressd {
namespace {

std::vector<std::string> split_segments(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        segments.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool is_parameter(std::string_view segment) { return segment.size() > 2 && segment.front() == '{'; }

http_response write_error(const route_options* options, const api_error& error) {
    return options && options->write_error ? options->write_error(error) : write_problem(error);
}

// A HEAD response carries the Content-Length its GET would have had and no body. Errors too: a
// body the client does not expect would be read as the start of the next response.
dispatch_result without_body_if(bool head, dispatch_result dispatched) {
    if (head) {
        auto& response = dispatched.result.response;
        response.content_length(response.body().size());
        response.body().clear();
    }
    return dispatched;
}

}  // namespace

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    const std::size_t mark = target.find('?');
    if (mark == std::string_view::npos) return {target, {}};
    return {target.substr(0, mark), target.substr(mark + 1)};
}

void router::add(http::verb method, std::string_view pattern, route_handler handler, route_options options) {
    routes_.push_back({method, std::string(pattern), split_segments(pattern), std::move(handler), options});
}

bool router::match(const route& candidate, std::string_view path, request_context* context) const {
    if (path.empty() || path.front() != '/') return false;
    std::size_t start = 1;
    std::size_t param = 0;
    for (std::size_t i = 0; i < candidate.segments.size(); ++i) {
        if (start > path.size()) return false;
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, end - start);
        const std::string& expected = candidate.segments[i];
        if (is_parameter(expected)) {
            if (segment.empty()) return false;
            if (context && param < max_path_params) {
                if (segment.find('%') == std::string_view::npos) {
                    context->params[param] = segment;
                } else {
                    context->decoded_params[param] = percent_decode(segment, false);
                    context->params[param] = context->decoded_params[param];
                }
            }
            ++param;
        } else if (segment != expected) {
            return false;
        }
        start = end + 1;
    }
    return start == path.size() + 1;
}

const router::route* router::find(http::verb method, std::string_view path, request_context* context) const {
    for (const auto& candidate : routes_) {
        if (candidate.method == method && match(candidate, path, context)) return &candidate;
    }
    return nullptr;
}

dispatch_result router::dispatch(const http_request& request, thread_context& thread, std::int64_t now_ms) const {
    auto [path, query] = split_target(request.target());
    request_context context{request, path, query, {}, nullptr, thread, now_ms};

    // HEAD is GET without a body, for every GET route.
    const bool head = request.method() == http::verb::head;
    const route* found = find(head ? http::verb::get : request.method(), path, &context);
    if (!found) {
        std::string allow;
        for (const auto& candidate : routes_) {
            if (!match(candidate, path, nullptr)) continue;
            const auto name = http::to_string(candidate.method);
            if (allow.find(name) != std::string::npos) continue;
            if (!allow.empty()) allow += ", ";
            allow.append(name.data(), name.size());
            if (candidate.method == http::verb::get) allow += ", HEAD";
        }
        api_error error{error_code::not_found, "no resource at this path", {}, {}};
        if (!allow.empty()) error = {error_code::method_not_allowed, "allowed: " + allow, {}, allow};
        return without_body_if(head, {{write_problem(error)}, routes_.size()});
    }

    const std::size_t index = static_cast<std::size_t>(found - routes_.data());
    auth::principal principal;
    if (found->options.authenticated) {
        auto outcome = authenticator_.authenticate(request[http::field::authorization],
                                                   request["x-authenticated-user-token"], thread.tokens, now_ms / 1000);
        if (!outcome.principal) {
            const bool missing = outcome.error == auth::auth_error::missing_credentials;
            api_error error{missing ? error_code::missing_credentials : error_code::invalid_credentials,
                            missing ? "this endpoint needs a bearer token or an API key"
                                    : "the token or API key is not valid",
                            {}, {}};
            return without_body_if(head, {{write_error(&found->options, error)}, index});
        }
        principal = std::move(*outcome.principal);
        context.principal = &principal;
    }

    return without_body_if(head, {found->handler(context), index});
}

http_response router::error_for(std::string_view target, const api_error& error) const {
    const auto path = split_target(target).first;
    for (const auto& candidate : routes_) {
        if (match(candidate, path, nullptr)) return write_error(&candidate.options, error);
    }
    return write_problem(error);
}

std::size_t router::body_limit_for(http::verb method, std::string_view target, std::size_t base_limit) const {
    const route* found = find(method, split_target(target).first, nullptr);
    return found ? base_limit * found->options.body_limit_multiplier : base_limit;
}

std::string_view router::method_label(std::size_t index) const {
    if (index >= routes_.size()) return "";
    const auto name = http::to_string(routes_[index].method);
    return {name.data(), name.size()};
}

std::string_view router::pattern_label(std::size_t index) const {
    return index < routes_.size() ? std::string_view(routes_[index].pattern) : std::string_view("unmatched");
}

}  // namespace progressd
