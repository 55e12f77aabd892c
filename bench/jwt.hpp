// HS256 token minting for the players profile (one token per simulated user).
//
// The bench keeps its own minimal minting (OpenSSL HMAC) rather than linking the server's auth
// library: the generator must build and run against any peer without the server's code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

// A compact JWS: base64url(header).base64url({"sub","iat","exp"}).base64url(HMAC-SHA256).
std::string mint_hs256(std::string_view secret, std::string_view subject, std::int64_t issued_at,
                       std::int64_t expires_at);

// The secret as the server reads it: the file's bytes, trailing whitespace trimmed.
// Throws std::runtime_error when the file cannot be read.
std::string read_secret_file(const std::string& path);

}  // namespace bench
