#pragma once
// Service API keys (docs/auth.md): one key per line of a file; `#` starts a comment line, blank lines
// are skipped and surrounding whitespace is trimmed.
//
// Lookup compares the candidate against every configured key with CRYPTO_memcmp, so the time it
// takes says nothing about how many leading bytes of a guess were right; only a key's length can
// show through, which is not secret enough to matter (keys should be long and random anyway).
// Thread-safety: immutable after load; contains() may run on many threads at once.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::auth {

class api_keys {
public:
    api_keys() = default;  // no keys: every lookup fails
    explicit api_keys(std::vector<std::string> keys);

    // Throws std::runtime_error naming the file when it cannot be read.
    static api_keys load(const std::string& path);

    bool contains(std::string_view key) const;
    std::size_t size() const { return keys_.size(); }

private:
    std::vector<std::string> keys_;
};

}  // namespace progressd::auth
