#include "handlers/auth/jwt.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/hmac_sha256.hpp"
#include "common/random_hex.hpp"

#include <boost/test/unit_test.hpp>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <array>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace auth = progressd::auth;

namespace {

constexpr std::int64_t now = 1'700'000'000;
const std::string secret = "unit-test-hs256-secret";

std::string hmac(const EVP_MD* digest, std::string_view key, std::string_view input) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(digest, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

// A token from raw header and payload JSON, signed by `sign` over "header.payload".
template <typename Signer>
std::string make_token(std::string_view header, std::string_view payload, Signer sign) {
    std::string input = auth::base64url_encode(header) + "." + auth::base64url_encode(payload);
    const std::string signature = sign(input);
    return input + "." + auth::base64url_encode(signature);
}

std::string hs256_token(std::string_view payload, std::string_view key = secret) {
    return make_token(R"({"alg":"HS256","typ":"JWT"})", payload, [key](std::string_view input) { return hmac(EVP_sha256(), key, input); });
}

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

pkey_ptr generate_rsa_key() {
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)), &EVP_PKEY_free);
    if (!key) throw std::runtime_error("RSA key generation failed");
    return key;
}

// Key generation takes a while: one key pair (and a second, unrelated one) for the whole file.
EVP_PKEY* rsa_key() {
    static const pkey_ptr key = generate_rsa_key();
    return key.get();
}

EVP_PKEY* other_rsa_key() {
    static const pkey_ptr key = generate_rsa_key();
    return key.get();
}

// structure: "SubjectPublicKeyInfo" ("BEGIN PUBLIC KEY") or "type-specific" ("BEGIN RSA PUBLIC KEY").
std::string public_pem(EVP_PKEY* key, const char* structure = "SubjectPublicKeyInfo") {
    OSSL_ENCODER_CTX* encoder = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_PUBLIC_KEY, "PEM", structure, nullptr);
    unsigned char* data = nullptr;
    std::size_t length = 0;
    const bool ok = encoder != nullptr && OSSL_ENCODER_to_data(encoder, &data, &length) == 1;
    OSSL_ENCODER_CTX_free(encoder);
    if (!ok) throw std::runtime_error("PEM encoding failed");
    std::string pem(reinterpret_cast<const char*>(data), length);
    OPENSSL_free(data);
    return pem;
}

std::string rs256_signature(EVP_PKEY* key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, data, input.size()) != 1)
        throw std::runtime_error("RS256 signing failed");
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data, input.size()) != 1)
        throw std::runtime_error("RS256 signing failed");
    signature.resize(length);
    return signature;
}

std::string rs256_token(std::string_view payload, EVP_PKEY* key = rsa_key()) {
    return make_token(R"({"alg":"RS256","typ":"JWT"})", payload, [key](std::string_view input) { return rs256_signature(key, input); });
}

auth::jwt_error error_of(const auth::jwt_verifier& verifier, const std::string& token) {
    const auto result = verifier.verify(token, now);
    BOOST_TEST_REQUIRE(!result.claims.has_value(), "token unexpectedly verified: " << token);
    return result.error;
}

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(auth::jwt_error)

BOOST_AUTO_TEST_SUITE(jwt_suite)

BOOST_AUTO_TEST_CASE(signed_hs256_token_verifies) {
    const auth::jwt_verifier verifier(secret);
    const auto result = verifier.verify(auth::sign_hs256(secret, "user-42", now - 10, now + 3600), now);
    BOOST_TEST_REQUIRE(result.claims.has_value());
    BOOST_TEST(result.claims->subject == "user-42");
    BOOST_TEST(result.claims->expires_at == now + 3600);
}

BOOST_AUTO_TEST_CASE(token_without_exp_never_expires) {
    const auth::jwt_verifier verifier(secret);
    const auto result = verifier.verify(auth::sign_hs256(secret, "user-42", now, 0), now + 1'000'000'000);
    BOOST_TEST_REQUIRE(result.claims.has_value());
    BOOST_TEST(result.claims->expires_at == 0);
}

BOOST_AUTO_TEST_CASE(wrong_secret_is_bad_signature) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(error_of(verifier, auth::sign_hs256("another-secret", "user-42", now, now + 60)) == auth::jwt_error::bad_signature);
}

BOOST_AUTO_TEST_CASE(altered_signature_is_bad_signature) {
    const auth::jwt_verifier verifier(secret);
    std::string token = auth::sign_hs256(secret, "user-42", now, now + 60);
    // Flip a whole-byte character (the first of the last group) so the text stays canonical base64url.
    char& c = token[token.size() - 4];
    c = c == 'A' ? 'B' : 'A';
    BOOST_TEST(error_of(verifier, token) == auth::jwt_error::bad_signature);
}

BOOST_AUTO_TEST_CASE(tampered_payload_is_bad_signature) {
    const auth::jwt_verifier verifier(secret);
    const std::string token = auth::sign_hs256(secret, "user-42", now, now + 60);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string forged = token.substr(0, first + 1) + auth::base64url_encode(R"({"sub":"admin","exp":1800000000})") +
                               token.substr(second);
    BOOST_TEST(error_of(verifier, forged) == auth::jwt_error::bad_signature);
}

BOOST_AUTO_TEST_CASE(exp_at_or_before_now_is_expired) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(error_of(verifier, auth::sign_hs256(secret, "u", now - 100, now)) == auth::jwt_error::expired);
    BOOST_TEST(error_of(verifier, auth::sign_hs256(secret, "u", now - 100, now - 1)) == auth::jwt_error::expired);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"u","exp":1699999999.9})")) == auth::jwt_error::expired);
    BOOST_TEST(verifier.verify(auth::sign_hs256(secret, "u", now - 100, now + 1), now).claims.has_value());
}

BOOST_AUTO_TEST_CASE(nbf_in_the_future_is_not_yet_valid) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"u","nbf":1700000001})")) == auth::jwt_error::not_yet_valid);
    BOOST_TEST(verifier.verify(hs256_token(R"({"sub":"u","nbf":1700000000})"), now).claims.has_value());
}

BOOST_AUTO_TEST_CASE(non_numeric_time_claims_are_malformed) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"u","exp":"1800000000"})")) == auth::jwt_error::malformed);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"u","nbf":null})")) == auth::jwt_error::malformed);
}

BOOST_AUTO_TEST_CASE(alg_none_is_rejected) {
    const auth::jwt_verifier verifier(secret);
    const std::string payload = auth::base64url_encode(R"({"sub":"admin"})");
    BOOST_TEST(error_of(verifier, auth::base64url_encode(R"({"alg":"none"})") + "." + payload + ".") ==
               auth::jwt_error::unsupported_algorithm);
    BOOST_TEST(error_of(verifier, auth::base64url_encode(R"({"alg":"None"})") + "." + payload + ".") ==
               auth::jwt_error::unsupported_algorithm);
}

BOOST_AUTO_TEST_CASE(algorithms_off_the_allow_list_are_rejected) {
    const auth::jwt_verifier verifier(secret);
    // Correctly signed with the right secret, but HS512 is not on the list.
    const auto hs512 = make_token(R"({"alg":"HS512"})", R"({"sub":"u"})",
                                  [](std::string_view input) { return hmac(EVP_sha512(), secret, input); });
    BOOST_TEST(error_of(verifier, hs512) == auth::jwt_error::unsupported_algorithm);
    // The name is exact: no case folding.
    const auto lower = make_token(R"({"alg":"hs256"})", R"({"sub":"u"})",
                                  [](std::string_view input) { return hmac(EVP_sha256(), secret, input); });
    BOOST_TEST(error_of(verifier, lower) == auth::jwt_error::unsupported_algorithm);
    const auto critical = make_token(R"({"alg":"HS256","crit":["exp"]})", R"({"sub":"u"})",
                                     [](std::string_view input) { return hmac(EVP_sha256(), secret, input); });
    BOOST_TEST(error_of(verifier, critical) == auth::jwt_error::unsupported_algorithm);
}

BOOST_AUTO_TEST_CASE(rs256_token_verifies_with_the_public_key) {
    const auth::jwt_verifier verifier(secret, public_pem(rsa_key()));
    BOOST_TEST(verifier.accepts_rs256());
    const auto result = verifier.verify(rs256_token(R"({"sub":"rsa-user","exp":1700000600})"), now);
    BOOST_TEST_REQUIRE(result.claims.has_value());
    BOOST_TEST(result.claims->subject == "rsa-user");
    BOOST_TEST(result.claims->expires_at == 1700000600);
    // HS256 keeps working beside RS256.
    BOOST_TEST(verifier.verify(auth::sign_hs256(secret, "u", now, now + 60), now).claims.has_value());
}

BOOST_AUTO_TEST_CASE(pkcs1_pem_is_accepted) {
    const auth::jwt_verifier verifier(secret, public_pem(rsa_key(), "type-specific"));
    BOOST_TEST(verifier.verify(rs256_token(R"({"sub":"rsa-user"})"), now).claims.has_value());
}

BOOST_AUTO_TEST_CASE(rs256_token_signed_by_another_key_is_bad_signature) {
    const auth::jwt_verifier verifier(secret, public_pem(rsa_key()));
    BOOST_TEST(error_of(verifier, rs256_token(R"({"sub":"u"})", other_rsa_key())) == auth::jwt_error::bad_signature);
}

BOOST_AUTO_TEST_CASE(rs256_without_a_configured_key_is_unsupported) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(!verifier.accepts_rs256());
    BOOST_TEST(error_of(verifier, rs256_token(R"({"sub":"u"})")) == auth::jwt_error::unsupported_algorithm);
}

BOOST_AUTO_TEST_CASE(hs256_signed_with_the_public_key_text_is_rejected) {
    // The classic confusion attack: the public key is public, so a verifier that let the token's
    // `alg` choose HMAC with the RSA key's PEM as secret would accept this forgery.
    const std::string pem = public_pem(rsa_key());
    const auth::jwt_verifier verifier(secret, pem);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"admin"})", pem)) == auth::jwt_error::bad_signature);
    // And an RS256 header over an HMAC made with the HS256 secret is no RSA signature either.
    const auto swapped = make_token(R"({"alg":"RS256"})", R"({"sub":"admin"})",
                                    [](std::string_view input) { return hmac(EVP_sha256(), secret, input); });
    BOOST_TEST(error_of(verifier, swapped) == auth::jwt_error::bad_signature);
}

BOOST_AUTO_TEST_CASE(subject_must_be_a_valid_id) {
    const auth::jwt_verifier verifier(secret);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"exp":1800000000})")) == auth::jwt_error::invalid_subject);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":42})")) == auth::jwt_error::invalid_subject);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":""})")) == auth::jwt_error::invalid_subject);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":"a/b"})")) == auth::jwt_error::invalid_subject);
    BOOST_TEST(error_of(verifier, hs256_token(R"({"sub":")" + std::string(129, 'a') + R"("})")) ==
               auth::jwt_error::invalid_subject);
    BOOST_TEST(verifier.verify(hs256_token(R"({"sub":")" + std::string(128, 'a') + R"("})"), now).claims.has_value());
}

BOOST_AUTO_TEST_CASE(garbage_is_malformed) {
    const auth::jwt_verifier verifier(secret);
    const std::string good = auth::sign_hs256(secret, "u", now, now + 60);
    const std::string payload = good.substr(good.find('.'));  // ".payload.signature"
    for (const std::string& token : {std::string(), std::string("not-a-token"), std::string("a.b"), std::string("a.b.c.d"),
                                     std::string(".."), good + ".", "!!!" + payload, "e30" + payload /* {} */,
                                     auth::base64url_encode("{\"alg\":") + payload,
                                     auth::base64url_encode("[\"HS256\"]") + payload,
                                     auth::base64url_encode(R"({"alg":256})") + payload, std::string(10000, 'a')}) {
        BOOST_TEST_CONTEXT("token: " << token) { BOOST_TEST(error_of(verifier, token) == auth::jwt_error::malformed); }
    }
    // A payload that is not JSON, under a good signature, is still malformed (not a crash).
    BOOST_TEST(error_of(verifier, hs256_token("not json")) == auth::jwt_error::malformed);
    BOOST_TEST(error_of(verifier, hs256_token("[1,2]")) == auth::jwt_error::malformed);
}

BOOST_AUTO_TEST_CASE(bad_configuration_throws) {
    BOOST_CHECK_THROW(auth::jwt_verifier(""), std::runtime_error);
    BOOST_CHECK_THROW(auth::jwt_verifier(secret, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"),
                      std::runtime_error);
    BOOST_CHECK_THROW(auth::jwt_verifier(secret, "hello"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(verification_is_safe_from_many_threads) {
    const auth::jwt_verifier verifier(secret, public_pem(rsa_key()));
    const std::string hs = auth::sign_hs256(secret, "hs-user", now, now + 60);
    const std::string rs = rs256_token(R"({"sub":"rs-user"})");
    const std::string bad = auth::sign_hs256("wrong", "hs-user", now, now + 60);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                const auto a = verifier.verify(hs, now);
                const auto b = verifier.verify(rs, now);
                const auto c = verifier.verify(bad, now);
                if (!a.claims || a.claims->subject != "hs-user" || !b.claims || b.claims->subject != "rs-user" ||
                    c.claims || c.error != auth::jwt_error::bad_signature)
                    ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    BOOST_TEST(failures.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(base64_suite)

BOOST_AUTO_TEST_CASE(round_trips) {
    for (const std::string& bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                                     std::string("foob"), std::string("\xff\xfe\x00\x01", 4)}) {
        BOOST_TEST(auth::base64url_decode(auth::base64url_encode(bytes)).value_or("<none>") == bytes);
        BOOST_TEST(auth::base64_decode(auth::base64_encode(bytes)).value_or("<none>") == bytes);
    }
    BOOST_TEST(auth::base64_encode("fo") == "Zm8=");
    BOOST_TEST(auth::base64url_encode("\xfb\xff") == "-_8");
    BOOST_TEST(auth::base64_encode("\xfb\xff") == "+/8=");
}

BOOST_AUTO_TEST_CASE(decoders_are_strict) {
    BOOST_TEST(!auth::base64url_decode("Zm8=").has_value());  // JWS forbids padding
    BOOST_TEST(!auth::base64url_decode("Z").has_value());     // no whole byte
    BOOST_TEST(!auth::base64url_decode("Zm9").has_value());   // non-zero unused bits ("fo" is Zm8)
    BOOST_TEST(!auth::base64url_decode("+/8").has_value());   // standard alphabet
    BOOST_TEST(!auth::base64_decode("-_8=").has_value());     // URL alphabet
    BOOST_TEST(!auth::base64_decode("Zm8==").has_value());
    BOOST_TEST(!auth::base64_decode("Zm9v=").has_value());
    BOOST_TEST(!auth::base64_decode("Zm 8=").has_value());
    BOOST_TEST(auth::base64_decode("Zm8").value_or("") == "fo");  // padding may be left out
    BOOST_TEST(!auth::base64url_decode("Zh").has_value());     // non-zero unused bits ("f" is Zg)
    BOOST_TEST(!auth::base64url_decode("Zm.vYmFy").has_value());   // a bad character inside a whole group
    BOOST_TEST(!auth::base64url_decode("Zm9vYmF\x80").has_value());
}

BOOST_AUTO_TEST_CASE(every_byte_at_every_length_round_trips) {
    for (std::size_t length = 0; length <= 70; ++length) {
        std::string bytes(length, '\0');
        for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<char>((i * 37 + length * 11) & 0xff);
        const auto text = auth::base64url_encode(bytes);
        BOOST_TEST(auth::base64url_decode(text).value_or("<none>") == bytes);
        std::vector<char> out(auth::base64_decoded_bytes(text.size()));
        BOOST_TEST(auth::base64url_decode(text, out).value_or("<none>") == bytes);
    }
    std::string all(256, '\0');
    for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
    BOOST_TEST(auth::base64url_decode(auth::base64url_encode(all)).value_or("<none>") == all);
}

BOOST_AUTO_TEST_CASE(decoding_into_a_buffer_needs_room_for_the_whole_text) {
    std::array<char, 5> small{};
    BOOST_TEST(!auth::base64url_decode("Zm9vYmFy", small).has_value());  // "foobar" needs 6
    std::array<char, 6> exact{};
    BOOST_TEST(auth::base64url_decode("Zm9vYmFy", exact).value_or("<none>") == "foobar");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hmac_sha256_suite)

// RFC 4231 test cases 1 and 2: the prepared key and the one-shot give the published MAC, and the
// prepared key gives it again and again (sign() must not disturb the keyed state it copies).
BOOST_AUTO_TEST_CASE(rfc_4231_vectors) {
    const std::string key1(20, '\x0b');
    const auth::hmac_sha256_key prepared1(key1), prepared2("Jefe");
    const std::string mac1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    const std::string mac2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const auto hex = [](const auth::sha256_digest& d) {
        return progressd::hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    };
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(hex(prepared1.sign("Hi There")) == mac1);
        BOOST_TEST(hex(prepared2.sign("what do ya want for nothing?")) == mac2);
    }
    BOOST_TEST(progressd::hex_encode(auth::hmac_sha256(key1, "Hi There")) == mac1);
    BOOST_TEST(progressd::hex_encode(auth::hmac_sha256("Jefe", "what do ya want for nothing?")) == mac2);
}

BOOST_AUTO_TEST_SUITE_END()
