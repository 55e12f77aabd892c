#pragma once
// Percent-decoding of request targets (RFC 3986). Paths and query strings differ only in '+':
// a form-encoded query writes a space as '+', a path means a literal '+'.

#include <string>
#include <string_view>

namespace progressd {

// Decodes %XX escapes; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace progressd
