#pragma once
// The HTTP message types handlers speak (the request is handlers/http_request.hpp's view). Only
// message types: sockets live in server/.

#include "handlers/http_request.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace progressd {

namespace beast = boost::beast;
namespace http = beast::http;

using http_response = http::response<http::string_body>;

}  // namespace progressd
