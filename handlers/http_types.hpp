#pragma once
// The HTTP message types handlers speak. Only message types: sockets live in server/.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace progressd {

namespace beast = boost::beast;
namespace http = beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

}  // namespace progressd
