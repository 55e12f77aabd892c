#pragma once
// Random identifiers and keys as lowercase hex (webhook ids and secrets, event ids), and the hex
// form of bytes (digests, the generated HS256 secret).

#include <cstddef>
#include <string>
#include <string_view>

namespace progressd {

// `bytes` random bytes (OpenSSL's CSPRNG; std::random_device, the kernel's, should it fail), as
// 2 × bytes hex characters.
std::string random_hex(std::size_t bytes);

std::string hex_encode(std::string_view bytes);

}  // namespace progressd
