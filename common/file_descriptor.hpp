#pragma once
// An open file descriptor, closed when its owner goes: the log files, the directory synced beside
// them, the data dir's lock. Movable, so it can sit in arrays and be handed from a half-built
// object to the finished one.

#include <unistd.h>

#include <utility>

namespace progressd {

class file_descriptor {
public:
    file_descriptor() = default;
    explicit file_descriptor(int fd) : fd_(fd) {}  // -1 (a failed open) owns nothing
    file_descriptor(file_descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    file_descriptor& operator=(file_descriptor&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor() { close(); }

    int get() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }

private:
    // close()'s result is not looked at: every caller that needs a write to be durable has
    // fsync'd it, and a descriptor is closed only once, even when close reports an error.
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    int fd_ = -1;
};

}  // namespace progressd
