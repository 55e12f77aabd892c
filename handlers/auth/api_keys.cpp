#include "handlers/auth/api_keys.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace progressd::auth {
namespace {

std::string_view trim(std::string_view text) {
    constexpr std::string_view whitespace = " \t\r\n\v\f";
    const auto begin = text.find_first_not_of(whitespace);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(whitespace) - begin + 1);
}

}  // namespace

api_keys::api_keys(std::vector<std::string> keys) : keys_(std::move(keys)) {
    // An empty key would match an empty credential; never hold one.
    std::erase_if(keys_, [](const std::string& key) { return key.empty(); });
}

api_keys api_keys::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open API keys file " + path + ": " + std::strerror(errno));
    std::vector<std::string> keys;
    std::string line;
    while (std::getline(in, line)) {
        const auto key = trim(line);
        if (key.empty() || key.front() == '#') continue;
        keys.emplace_back(key);
    }
    if (in.bad()) throw std::runtime_error("cannot read API keys file " + path);
    return api_keys(std::move(keys));
}

bool api_keys::contains(std::string_view key) const {
    // No early exit: every key is compared whatever the outcome, so timing does not reveal which
    // key (or whether an earlier one) matched.
    bool found = false;
    for (const auto& candidate : keys_) {
        if (candidate.size() != key.size()) continue;
        found |= CRYPTO_memcmp(candidate.data(), key.data(), key.size()) == 0;
    }
    return found && !key.empty();
}

}  // namespace progressd::auth
