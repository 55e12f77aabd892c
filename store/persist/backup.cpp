#include "store/persist/backup.hpp"

#include "store/persist/lmdb.hpp"
#include "store/persist/write_ahead_log.hpp"

#include <filesystem>
#include <memory>

namespace progressd::store {

void backup_data_dir(const std::string& data_dir, const std::string& target_dir) {
    namespace fs = std::filesystem;
    if (!fs::exists(fs::path(data_dir) / "data.mdb")) throw std::runtime_error("no LMDB data in " + data_dir);
    if (fs::exists(fs::path(target_dir) / "data.mdb")) {
        throw std::runtime_error(target_dir + " already holds a data.mdb; refusing to overwrite it");
    }
    // Every user's progress is in the copy: readable by its owner only, whatever the umask.
    if (fs::create_directories(target_dir)) fs::permissions(target_dir, fs::perms::owner_all);
    // A server's newest batches may be only in its write-ahead log (until the next checkpoint). The log's files are
    // copied first: whatever a checkpoint moves out of them meanwhile, the LMDB copy taken after
    // holds, and a server started on the copy replays the rest (store/persist/write_ahead_log.hpp).
    const auto logs = write_ahead_log_paths(data_dir);
    const auto copies = write_ahead_log_paths(target_dir);
    for (std::size_t i = 0; i < logs.size(); ++i) {
        if (fs::exists(logs[i])) fs::copy_file(logs[i], copies[i], fs::copy_options::overwrite_existing);
    }

    MDB_env* raw = nullptr;
    if (const int rc = mdb_env_create(&raw); rc != MDB_SUCCESS) throw lmdb_error("mdb_env_create", rc);
    const std::unique_ptr<MDB_env, decltype(&mdb_env_close)> env(raw, &mdb_env_close);
    // Named databases count against maxdbs even for a copy; match what the server allows.
    if (const int rc = mdb_env_set_maxdbs(env.get(), 8); rc != MDB_SUCCESS) throw lmdb_error("mdb_env_set_maxdbs", rc);
    // Read-only, sharing the server's lock file: our read transaction is registered there, so
    // the server never reuses the pages we are copying.
    if (const int rc = mdb_env_open(env.get(), data_dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600); rc != MDB_SUCCESS) {
        throw lmdb_error("mdb_env_open " + data_dir, rc);
    }
    if (const int rc = mdb_env_copy2(env.get(), target_dir.c_str(), MDB_CP_COMPACT); rc != MDB_SUCCESS) {
        throw lmdb_error("mdb_env_copy2 " + target_dir, rc);
    }
    // LMDB creates the copy 0666 less the umask; the server's own files are 0600.
    fs::permissions(fs::path(target_dir) / "data.mdb", fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace progressd::store
