#pragma once
// What a kill -9 would leave of a data dir: its LMDB file and write-ahead log, copied while
// nothing commits, for a test to reopen and replay.

#include "store/persist/write_ahead_log.hpp"

#include "tests/unit/temp_dir.hpp"

#include <array>
#include <filesystem>
#include <string>

namespace progressd::testing {

inline std::array<std::string, 2> logs_of(const temp_dir& dir) { return store::write_ahead_log_paths(dir.str()); }

inline void copy_crash_image(const temp_dir& from, const temp_dir& to) {
    namespace fs = std::filesystem;
    fs::create_directories(to.path());
    fs::copy_file(from.path() / "data.mdb", to.path() / "data.mdb");
    for (std::size_t i = 0; i < 2; ++i) {
        if (fs::exists(logs_of(from)[i])) fs::copy_file(logs_of(from)[i], logs_of(to)[i]);
    }
}

}  // namespace progressd::testing
