#pragma once
// The native family's error writer: RFC 9457 application/problem+json.

#include "handlers/api_error.hpp"
#include "handlers/http_types.hpp"

#include <boost/json/object.hpp>

namespace progressd {

boost::json::object problem_body(const api_error& error);
http_response write_problem(const api_error& error);

}  // namespace progressd
