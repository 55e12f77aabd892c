#include "handlers/router.hpp"

#include "handlers/problem.hpp"
#include "handlers/uri.hpp"

#include <boost/beast/http/verb.hpp>

#include <algorithm>

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

// `whole`: the path must end where the segments do (a route); otherwise the segments need only
// match its leading ones (a family prefix). Parameters go to `context` when given.
bool match_segments(const std::vector<std::string>& segments, std::string_view path, request_context* context,
                    bool whole) {
    if (path.empty() || path.front() != '/') return false;
    std::size_t start = 1;
    std::size_t param = 0;
    for (const std::string& expected : segments) {
        if (start > path.size()) return false;
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, end - start);
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
    return !whole || start == path.size() + 1;
}

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
    return match_segments(candidate.segments, path, context, true);
}

void router::add_family_prefix(std::string_view prefix, error_writer write_error) {
    families_.push_back({split_segments(prefix), write_error});
}

error_writer router::writer_for(std::string_view path, const route* same_path) const {
    if (same_path && same_path->options.write_error) return same_path->options.write_error;
    error_writer best = nullptr;
    std::size_t best_length = 0;
    for (const auto& family : families_) {
        if (family.segments.size() > best_length && match_segments(family.segments, path, nullptr, false)) {
            best = family.write_error;
            best_length = family.segments.size();
        }
    }
    return best;
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
        const route* same_path = nullptr;
        const std::string allow = methods_at(path, &same_path);
        api_error error{error_code::not_found, "no resource at this path", {}, {}};
        if (!allow.empty()) error = {error_code::method_not_allowed, "allowed: " + allow, {}, allow};
        const error_writer writer = writer_for(path, same_path);
        http_response response = writer ? writer(error) : write_problem(error);
        // Allow belongs to HTTP (RFC 9110 §15.5.6), not to a family's format: never left to a writer.
        if (!allow.empty()) response.set(http::field::allow, allow);
        return without_body_if(head, {{std::move(response)}, routes_.size()});
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

std::string router::methods_at(std::string_view path, const route** first) const {
    std::string methods;
    for (const auto& candidate : routes_) {
        if (!match(candidate, path, nullptr)) continue;
        if (first && !*first) *first = &candidate;
        const auto name = http::to_string(candidate.method);
        if (methods.find(name) != std::string::npos) continue;
        if (!methods.empty()) methods += ", ";
        methods.append(name.data(), name.size());
        if (candidate.method == http::verb::get) methods += ", HEAD";
    }
    return methods;
}

http_response router::error_for(std::string_view target, const api_error& error) const {
    const auto path = split_target(target).first;
    const auto same_path = std::find_if(routes_.begin(), routes_.end(),
                                        [&](const route& candidate) { return match(candidate, path, nullptr); });
    const error_writer writer = writer_for(path, same_path == routes_.end() ? nullptr : &*same_path);
    return writer ? writer(error) : write_problem(error);
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
