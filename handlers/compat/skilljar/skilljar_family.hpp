#pragma once
// What skilljar.cpp and skilljar_enrollments.cpp share: the family's error writer (Django REST
// framework's bodies), admission, pagination helpers and the durable answer. Internal to the
// family; register_skilljar_routes (handlers/routes.hpp) is its one entry point.
// Thread-safety: free functions; they touch only the request and the thread-safe services.

#include "handlers/compat/skilljar/skilljar_mapping.hpp"
#include "handlers/router.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd {
struct services;
}

namespace progressd::skilljar {

http_response detail_response(http::status status, std::string_view detail);
http_response write_error(const api_error& error);
handler_result fail(const api_error& error);
handler_result invalid(const field_errors& errors);
// The answer to a write of `generation` (0: nothing written) waits for the commit
// app::database::reply_waits_for names.
handler_result finish(const services& context, http_response response, std::uint64_t generation);
// The answer waits for `generation` in either durability mode: for rare administrative writes.
handler_result finish_durable(services& context, http_response response, std::uint64_t generation);

// Every Skilljar endpoint is for services; reads wait for recovery, writes for healthy persistence.
std::optional<api_error> admit(const services& context, const request_context& request, bool write);
// The body as an object; an empty body is an empty object (PATCH with nothing to change).
std::optional<api_error> read_object(const request_context& request, boost::json::object& body);
// "http://<Host><path>", what DRF's next/previous links start with.
std::string base_url(const request_context& request);
// `sized`: whether the endpoint documents page_size.
std::optional<page_request> read_page(const request_context& request, std::size_t default_size, bool sized);

void register_enrollment_routes(router& routes, services& context, const route_options& options);
void register_webhook_routes(router& routes, services& context, const route_options& options);

}  // namespace progressd::skilljar
