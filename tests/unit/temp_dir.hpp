#pragma once
// A not-yet-existing directory under the system temp dir, removed with its contents at scope
// exit: each LMDB test gets a data dir of its own and leaves nothing behind.

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace progressd::testing {

class temp_dir {
public:
    temp_dir()
        : path_(std::filesystem::temp_directory_path() / ("progressd-test-" + std::to_string(std::random_device{}()))) {}
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace progressd::testing
