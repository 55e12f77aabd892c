#include "handlers/auth/hmac_sha256.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <stdexcept>

namespace progressd::auth {
namespace {

[[noreturn]] void fail(const char* what) {
    // OpenSSL's error queue is per thread: leave nothing behind for the next caller on this thread.
    ERR_clear_error();
    throw std::runtime_error(what);
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    sha256_digest digest{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), digest.data(), &length) == nullptr ||
        length != sha256_bytes) {
        fail("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

void hmac_sha256_key::context_deleter::operator()(EVP_MAC_CTX* context) const noexcept { EVP_MAC_CTX_free(context); }

hmac_sha256_key::hmac_sha256_key(std::string_view key) {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr),
                                                          &EVP_MAC_free);
    if (!mac) fail("OpenSSL has no HMAC");
    keyed_.reset(EVP_MAC_CTX_new(mac.get()));  // holds its own reference to the algorithm
    if (!keyed_) fail("cannot create an HMAC context");
    char digest_name[] = OSSL_DIGEST_NAME_SHA2_256;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(keyed_.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
        fail("cannot key HMAC-SHA256");
    }
}

sha256_digest hmac_sha256_key::sign(std::string_view data) const {
    const std::unique_ptr<EVP_MAC_CTX, context_deleter> context(EVP_MAC_CTX_dup(keyed_.get()));
    sha256_digest digest{};
    std::size_t length = 0;
    if (!context || EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(context.get(), digest.data(), &length, digest.size()) != 1 || length != sha256_bytes) {
        fail("HMAC-SHA256 failed");
    }
    return digest;
}

}  // namespace progressd::auth
