#pragma once
// The HS256 secret (docs/auth.md): read from --jwt-hs256-secret-file, or generated once in the data
// dir so that a first run is authenticated without any setup and `progressctl token` can mint
// tokens the server accepts.
//
// The secret is the file's bytes with trailing whitespace trimmed (so an editor's final newline
// does not change it). A generated file holds 32 random bytes as 64 hex characters: the hex text
// itself is the secret, which keeps the file printable and easy to copy to another issuer.
// Thread-safety: free functions touching only the file system.

#include <string>

namespace progressd::auth {

// <data_dir>/jwt-hs256.secret
std::string default_secret_path(const std::string& data_dir);

// Throws std::runtime_error naming the file when it cannot be read or holds nothing but whitespace.
std::string load_hs256_secret(const std::string& path);

// Loads default_secret_path(data_dir), first creating it (and data_dir) if it does not exist.
// Creation is atomic and never replaces an existing file: two processes racing here (the server
// and progressctl) both end up with the same secret. Throws std::runtime_error naming the failed
// system call.
std::string load_or_create_hs256_secret(const std::string& data_dir);

}  // namespace progressd::auth
