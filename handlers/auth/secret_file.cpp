#include "handlers/auth/secret_file.hpp"

#include "common/random_hex.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace progressd::auth {
namespace {

constexpr std::size_t secret_bytes = 32;

[[noreturn]] void fail_syscall(const char* call, const std::string& path) {
    throw std::runtime_error(std::string("HS256 secret: ") + call + "(" + path + ") failed: " + std::strerror(errno));
}

// Owns the temporary file until it has been published: on any failure it is removed, so a crash
// or an error never leaves a half-written secret under a name the server would read.
class temp_file {
public:
    explicit temp_file(std::string path) : path_(std::move(path)) {}
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        if (fd_ >= 0) ::close(fd_);
        ::unlink(path_.c_str());
    }

    const std::string& path() const { return path_; }
    int fd() const { return fd_; }

    void create() {
        ::unlink(path_.c_str());  // a leftover from a crashed run with the same pid
        // 0600: the secret lets anyone mint tokens for any user. umask can only narrow it.
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) fail_syscall("open", path_);
    }

    void close() {
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail_syscall("close", path_);
    }

private:
    std::string path_;
    int fd_ = -1;
};

void write_all(int fd, std::string_view text, const std::string& path) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            fail_syscall("write", path);
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

void fsync_directory(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_syscall("open", dir);
    const int synced = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (synced != 0) fail_syscall("fsync", dir);
}

std::string random_hex_secret() {
    std::array<unsigned char, secret_bytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("HS256 secret: RAND_bytes failed");
    // Not random_hex(): a secret must not fall back to another source when OpenSSL's fails.
    return hex_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) + '\n';
}

// Redis-style atomic creation: write a temp file, fsync it, publish it under the final name, fsync
// the directory so the name survives a crash. Publishing uses link(2) rather than rename(2)
// because link never replaces an existing file: if another process created the secret meanwhile,
// its secret (already handed out in tokens, perhaps) wins and ours is dropped.
void create_secret_file(const std::string& path, const std::string& dir) {
    temp_file temp(path + ".tmp." + std::to_string(::getpid()));
    temp.create();
    write_all(temp.fd(), random_hex_secret(), temp.path());
    if (::fsync(temp.fd()) != 0) fail_syscall("fsync", temp.path());
    temp.close();
    if (::link(temp.path().c_str(), path.c_str()) != 0) {
        if (errno == EEXIST) return;  // lost the race: the other process's file stands
        // File systems without hard links: fall back to rename, which is still atomic.
        if (errno != EPERM && errno != EOPNOTSUPP) fail_syscall("link", path);
        if (::rename(temp.path().c_str(), path.c_str()) != 0) fail_syscall("rename", path);
    }
    fsync_directory(dir);
}

}  // namespace

std::string default_secret_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "jwt-hs256.secret").string();
}

std::string load_hs256_secret(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open HS256 secret file " + path + ": " + std::strerror(errno));
    std::string secret{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw std::runtime_error("cannot read HS256 secret file " + path);
    const auto end = secret.find_last_not_of(" \t\r\n\v\f");
    if (end == std::string::npos) throw std::runtime_error("HS256 secret file " + path + " is empty");
    secret.resize(end + 1);
    return secret;
}

std::string load_or_create_hs256_secret(const std::string& data_dir) {
    const auto path = default_secret_path(data_dir);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (ec) throw std::runtime_error("HS256 secret: cannot stat " + path + ": " + ec.message());
        std::filesystem::create_directories(data_dir, ec);
        if (ec) throw std::runtime_error("HS256 secret: cannot create directory " + data_dir + ": " + ec.message());
        create_secret_file(path, data_dir.empty() ? std::string(".") : data_dir);
    }
    return load_hs256_secret(path);
}

}  // namespace progressd::auth
