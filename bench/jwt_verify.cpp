// progress-jwt-verify: what checking a token costs the first time progressd sees it (after that the
// per-thread token cache answers). Signs --tokens HS256 tokens for user-000000…, then for --seconds
// each: the full jwt_verifier::verify, the prepared-key HMAC it runs, and OpenSSL's one-shot HMAC
// (what verify ran before the key was prepared once), as nanoseconds a call, one thread:
//
//   verify_ns=… hmac_prepared_ns=… hmac_one_shot_ns=… tokens=… token_bytes=…
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "handlers/auth/hmac_sha256.hpp"
#include "handlers/auth/jwt.hpp"

namespace {

namespace auth = progressd::auth;
using steady = std::chrono::steady_clock;

// Calls `one(i)` for i = 0, 1, … until `seconds` have passed; nanoseconds a call.
template <class Call>
double time_calls(double seconds, Call one) {
  const auto start = steady::now();
  const auto end = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  std::size_t calls = 0;
  unsigned sink = 0;
  do {
    for (int batch = 0; batch < 256; ++batch) sink += one(calls++);
  } while (steady::now() < end);
  const double ns = std::chrono::duration<double, std::nano>(steady::now() - start).count();
  if (sink == 1) std::fputs("", stderr);  // keeps the calls from being optimised away
  return ns / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"progress-jwt-verify: nanoseconds to verify an HS256 token the first time"};
  std::size_t tokens = 1000;
  double seconds = 1;
  app.add_option("--tokens", tokens, "distinct tokens, verified in turn")->check(CLI::Range(1, 10'000'000));
  app.add_option("--seconds", seconds, "measured seconds per figure")->check(CLI::Range(0.01, 600.0));
  CLI11_PARSE(app, argc, argv);

  const std::string secret(32, 's');
  const auto now = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::vector<std::string> signed_tokens;
  signed_tokens.reserve(tokens);
  char user[32];
  for (std::size_t i = 0; i < tokens; ++i) {
    std::snprintf(user, sizeof user, "user-%06zu", i);
    signed_tokens.push_back(auth::sign_hs256(secret, user, now, now + 86'400));
  }
  const auto& first = signed_tokens.front();
  const std::string signing_input = first.substr(0, first.rfind('.'));

  const auth::jwt_verifier verifier(secret);
  std::size_t rejected = 0;
  const double verify_ns = time_calls(seconds, [&](std::size_t i) {
    const bool good = verifier.verify(signed_tokens[i % tokens], now).claims.has_value();
    rejected += good ? 0 : 1;
    return unsigned{good};
  });
  const auth::hmac_sha256_key key(secret);
  const double prepared_ns = time_calls(seconds, [&](std::size_t) { return unsigned{key.sign(signing_input)[0]}; });
  const double one_shot_ns = time_calls(seconds, [&](std::size_t) {
    return unsigned(static_cast<unsigned char>(auth::hmac_sha256(secret, signing_input)[0]));
  });
  std::printf("verify_ns=%.0f hmac_prepared_ns=%.0f hmac_one_shot_ns=%.0f tokens=%zu token_bytes=%zu\n", verify_ns,
              prepared_ns, one_shot_ns, tokens, first.size());
  if (rejected != 0) {
    std::fprintf(stderr, "progress-jwt-verify: %zu verifications failed\n", rejected);
    return 1;
  }
  return 0;
}
