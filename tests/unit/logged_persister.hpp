#pragma once
// A persister with a write-ahead log over a test's data dir, started: the log replayed first, as
// the server does, so a test may reopen a dir it wrote before.

#include "store/persist/persister.hpp"
#include "store/persist/write_ahead_log.hpp"

#include "tests/unit/crash_image.hpp"
#include "tests/unit/temp_dir.hpp"

#include <cstddef>

namespace progressd::testing {

struct logged_persister {
    logged_persister(const temp_dir& dir, const store::persister_options& options, std::size_t map_size)
        : environment(store::open_data_dir(dir.str(), map_size)),
          log(logs_of(dir), environment, store::replay_write_ahead_log(logs_of(dir), environment).last_sequence),
          writer(store, environment, options, quiet) {
        writer.use_write_ahead_log(log);
        writer.start();
    }

    inline static const logger quiet{log_level::error};
    store::lmdb_environment environment;
    store::write_ahead_log log;
    store::progress_store store{8, {}};
    store::persister writer;
};

}  // namespace progressd::testing
