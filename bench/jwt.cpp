#include "bench/jwt.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace bench {

namespace {

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
  return out;  // unpadded, as JWS requires
}

}  // namespace

std::string mint_hs256(std::string_view secret, std::string_view subject, std::int64_t issued_at,
                       std::int64_t expires_at) {
  const boost::json::value claims = {{"sub", subject}, {"iat", issued_at}, {"exp", expires_at}};
  std::string token = base64url(R"({"alg":"HS256","typ":"JWT"})");
  token += '.';
  token += base64url(boost::json::serialize(claims));

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_len) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  token += '.';
  token += base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
  return token;
}

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read JWT secret file " + path);
  std::string secret{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  while (!secret.empty() && (secret.back() == ' ' || secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == '\t'))
    secret.pop_back();
  if (secret.empty()) throw std::runtime_error("JWT secret file " + path + " is empty");
  return secret;
}

}  // namespace bench
