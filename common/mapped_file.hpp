#pragma once
// The first bytes of a file, mapped read-only and unmapped when their owner goes: a write-ahead
// log file read back by a checkpoint. Mapped rather than read into a string so that the bytes are
// the page cache's own (just written, so resident) and not a copy in the process's heap.

#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <string_view>
#include <utility>

namespace progressd {

class mapped_file {
public:
    mapped_file() = default;
    // Maps [0, size) of the open file `fd`; is_mapped() is false when mmap failed (errno says why).
    // A size of 0 maps nothing and is no failure.
    mapped_file(int fd, std::size_t size) : size_(size) {
        if (size == 0) return;
        void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (address == MAP_FAILED) {
            size_ = 0;
            failed_ = true;
            return;
        }
        address_ = address;
    }
    mapped_file(mapped_file&& other) noexcept
        : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)),
          failed_(std::exchange(other.failed_, false)) {}
    mapped_file& operator=(mapped_file&& other) noexcept {
        if (this != &other) {
            unmap();
            address_ = std::exchange(other.address_, nullptr);
            size_ = std::exchange(other.size_, 0);
            failed_ = std::exchange(other.failed_, false);
        }
        return *this;
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file() { unmap(); }

    bool is_mapped() const { return !failed_; }
    std::string_view bytes() const { return {static_cast<const char*>(address_), size_}; }

private:
    void unmap() {
        if (address_ != nullptr) ::munmap(address_, size_);
        address_ = nullptr;
        size_ = 0;
    }

    void* address_ = nullptr;
    std::size_t size_ = 0;
    bool failed_ = false;
};

}  // namespace progressd
