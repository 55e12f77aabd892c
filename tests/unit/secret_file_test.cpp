#include "handlers/auth/secret_file.hpp"

#include "handlers/auth/jwt.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace auth = progressd::auth;
namespace fs = std::filesystem;

namespace {

// A fresh temp dir per test, removed afterwards.
struct temp_dir {
    fs::path path;

    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "progressd-secret-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_all(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

bool is_lower_hex(const std::string& text) { return text.find_first_not_of("0123456789abcdef") == std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(secret_file_suite)

BOOST_AUTO_TEST_CASE(default_path_is_in_the_data_dir) {
    BOOST_TEST(auth::default_secret_path("/var/lib/progressd") == "/var/lib/progressd/jwt-hs256.secret");
    BOOST_TEST(auth::default_secret_path("./data") == "./data/jwt-hs256.secret");
}

BOOST_AUTO_TEST_CASE(creates_a_private_64_hex_secret) {
    const temp_dir dir;
    const fs::path data_dir = dir.path / "not" / "yet" / "there";
    const std::string secret = auth::load_or_create_hs256_secret(data_dir.string());
    BOOST_TEST(secret.size() == 64u);
    BOOST_TEST(is_lower_hex(secret));

    const fs::path file = data_dir / "jwt-hs256.secret";
    BOOST_TEST(read_all(file) == secret + "\n");
    struct stat info {};
    BOOST_TEST_REQUIRE(::stat(file.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 07777) == 0600u);
    // Nothing else is left behind (no temp file).
    BOOST_TEST(std::distance(fs::directory_iterator(data_dir), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(second_call_returns_the_same_secret) {
    const temp_dir dir;
    const std::string first = auth::load_or_create_hs256_secret(dir.path.string());
    const std::string second = auth::load_or_create_hs256_secret(dir.path.string());
    BOOST_TEST(first == second);
    BOOST_TEST(auth::load_hs256_secret(auth::default_secret_path(dir.path.string())) == first);
    // Another data dir gets another secret.
    const temp_dir other;
    BOOST_TEST(auth::load_or_create_hs256_secret(other.path.string()) != first);
}

BOOST_AUTO_TEST_CASE(existing_secret_is_kept) {
    const temp_dir dir;
    write_all(dir.path / "jwt-hs256.secret", "operator-chosen secret\n");
    BOOST_TEST(auth::load_or_create_hs256_secret(dir.path.string()) == "operator-chosen secret");
}

BOOST_AUTO_TEST_CASE(trailing_whitespace_is_trimmed) {
    const temp_dir dir;
    const fs::path file = dir.path / "secret";
    write_all(file, "  my secret \t\r\n\n");
    BOOST_TEST(auth::load_hs256_secret(file.string()) == "  my secret");  // leading bytes are part of it
    write_all(file, "exact");
    BOOST_TEST(auth::load_hs256_secret(file.string()) == "exact");
}

BOOST_AUTO_TEST_CASE(empty_or_missing_file_throws) {
    const temp_dir dir;
    const fs::path file = dir.path / "secret";
    write_all(file, " \n\t\n");
    BOOST_CHECK_THROW(auth::load_hs256_secret(file.string()), std::runtime_error);
    BOOST_CHECK_THROW(auth::load_hs256_secret((dir.path / "absent").string()), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(generated_secret_signs_tokens_the_verifier_accepts) {
    const temp_dir dir;
    const std::string secret = auth::load_or_create_hs256_secret(dir.path.string());
    const auth::jwt_verifier verifier(auth::load_or_create_hs256_secret(dir.path.string()));
    BOOST_TEST(verifier.verify(auth::sign_hs256(secret, "first-user", 100, 200), 150).claims.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
