#include "handlers/auth/api_keys.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace auth = progressd::auth;

namespace {

// A keys file in a fresh temp dir, removed at the end of the test.
struct keys_file {
    std::filesystem::path dir;
    std::string path;

    explicit keys_file(const std::string& content) {
        std::string pattern = (std::filesystem::temp_directory_path() / "progressd-keys-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = pattern;
        path = (dir / "keys").string();
        std::ofstream(path, std::ios::binary) << content;
    }
    ~keys_file() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(api_keys_suite)

BOOST_AUTO_TEST_CASE(load_skips_comments_and_blank_lines_and_trims) {
    const keys_file file("# service keys\n\n  key-one\n\tkey-two  \r\n   # indented comment\n   \nkey three\nlast-key");
    const auto keys = auth::api_keys::load(file.path);
    BOOST_TEST(keys.size() == 4u);
    BOOST_TEST(keys.contains("key-one"));
    BOOST_TEST(keys.contains("key-two"));
    BOOST_TEST(keys.contains("key three"));
    BOOST_TEST(keys.contains("last-key"));  // no final newline
    BOOST_TEST(!keys.contains("# service keys"));
    BOOST_TEST(!keys.contains("# indented comment"));
    BOOST_TEST(!keys.contains("  key-one"));
    BOOST_TEST(!keys.contains("key-two\r"));
}

BOOST_AUTO_TEST_CASE(contains_needs_the_exact_key) {
    const auth::api_keys keys({"s3cr3t-service-key", "other"});
    BOOST_TEST(keys.contains("s3cr3t-service-key"));
    BOOST_TEST(keys.contains("other"));
    BOOST_TEST(!keys.contains("s3cr3t-service-ke"));   // prefix
    BOOST_TEST(!keys.contains("s3cr3t-service-key2"));  // extension
    BOOST_TEST(!keys.contains("S3CR3T-SERVICE-KEY"));   // case matters
    BOOST_TEST(!keys.contains("s3cr3t-service-kez"));   // same length, last byte differs
    BOOST_TEST(!keys.contains(""));
}

BOOST_AUTO_TEST_CASE(empty_set_matches_nothing) {
    const auth::api_keys none;
    BOOST_TEST(none.size() == 0u);
    BOOST_TEST(!none.contains(""));
    BOOST_TEST(!none.contains("anything"));
    const keys_file file("# only comments\n\n");
    BOOST_TEST(auth::api_keys::load(file.path).size() == 0u);
}

BOOST_AUTO_TEST_CASE(missing_file_throws_naming_it) {
    const std::string path = "/nonexistent-progressd-dir/keys.txt";
    try {
        (void)auth::api_keys::load(path);
        BOOST_FAIL("load should have thrown");
    } catch (const std::runtime_error& error) {
        BOOST_TEST(std::string(error.what()).find(path) != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
