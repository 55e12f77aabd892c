#pragma once
// HMAC-SHA256 (RFC 2104): one-shot for keys used once, and a prepared key for the one every JWT is
// checked with.

#include <openssl/types.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace progressd::auth {

constexpr std::size_t sha256_bytes = 32;
using sha256_digest = std::array<unsigned char, sha256_bytes>;

// The MAC of `data` under `key`, as 32 raw bytes. Throws std::runtime_error only if OpenSSL fails
// (out of memory).
std::string hmac_sha256(std::string_view key, std::string_view data);

// A key made ready once: OpenSSL's one-shot HMAC looks the algorithm up in its provider tables and
// hashes the key's pads on every call, three quarters of what an HS256 check cost. sign() starts
// from a copy of the keyed state instead.
//
// Thread-safety: immutable after construction; sign() only reads the keyed state (through
// EVP_MAC_CTX_dup, which takes it const), so many threads may sign at once.
class hmac_sha256_key {
public:
    // Throws std::runtime_error if OpenSSL cannot set the key up.
    explicit hmac_sha256_key(std::string_view key);

    // Throws std::runtime_error only if OpenSSL fails (out of memory).
    sha256_digest sign(std::string_view data) const;

private:
    struct context_deleter {
        void operator()(EVP_MAC_CTX* context) const noexcept;
    };
    std::unique_ptr<EVP_MAC_CTX, context_deleter> keyed_;
};

}  // namespace progressd::auth
