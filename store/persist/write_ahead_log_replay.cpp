// Start-up's replay of the write-ahead log into LMDB, and the read-only look at it that tools
// take (store/persist/write_ahead_log.hpp).
#include "store/persist/write_ahead_log.hpp"

#include "common/errno_error.hpp"
#include "store/persist/write_ahead_log_format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace progressd::store {
namespace {

using wal_format::read_at;
using logged_change = wal_format::change;

std::string read_whole(int fd, const std::string& path) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw errno_error("stat " + path);
    std::string content(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::pread(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw errno_error("read " + path);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    content.resize(done);
    return content;
}

std::optional<std::vector<logged_change>> parse_payload(std::string_view payload) {
    std::vector<logged_change> changes;
    if (!wal_format::for_each_change(payload, [&](const logged_change& change) { changes.push_back(change); })) return std::nullopt;
    return changes;
}

struct logged_frame {
    std::uint64_t sequence;
    std::vector<logged_change> changes;
};

// The frames at the start of `content` that are intact and numbered one after another.
std::vector<logged_frame> read_frames(std::string_view content) {
    std::vector<logged_frame> frames;
    wal_format::scan_frames(content, [&](std::uint64_t sequence, std::string_view payload) {
        auto changes = parse_payload(payload);
        if (changes) frames.push_back({sequence, std::move(*changes)});
        return changes.has_value();
    });
    return frames;
}

std::uint64_t read_checkpoint(const lmdb_environment& environment) {
    lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw lmdb_error("mdb_txn_begin", rc);
    MDB_val key = as_val(wal_format::checkpoint_key);
    MDB_val value{};
    const int rc = mdb_get(txn.get(), environment.meta(), &key, &value);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != MDB_SUCCESS) throw lmdb_error("mdb_get(wal_checkpoint)", rc);
    if (value.mv_size != sizeof(std::uint64_t)) throw std::runtime_error("wal_checkpoint in LMDB is malformed");
    return read_at<std::uint64_t>(as_view(value), 0);
}

// Replay's transactions: LMDB keeps every page a transaction dirtied on a free list of its own for
// the environment's life, so one transaction of a full log's changes (a million, in a large store
// nearly as many pages) would leave that many 4 KiB pages in the heap for good.
constexpr std::size_t replay_changes_per_transaction = 4096;

// Applies changes[applied, end) (sorted by database and key, in log order among one key's) in
// transactions of replay_changes_per_transaction, advancing `applied` past each one committed;
// the last also marks every frame up to `last_sequence` as held by LMDB. Only the last is synced
// in full: until it commits, the log still holds them all, and a crash replays them again.
int apply(lmdb_environment& environment, const std::vector<logged_change>& changes, std::size_t& applied,
          std::uint64_t last_sequence) {
    const auto databases = wal_format::logged_databases(environment);
    using sync_kind = lmdb_environment::write_sync;
    for (;;) {
        const std::size_t end = std::min(changes.size(), applied + replay_changes_per_transaction);
        const bool last = end == changes.size();
        lmdb_transaction txn;
        if (const int rc = environment.begin_write(txn, last ? sync_kind::full : sync_kind::data_only); rc != MDB_SUCCESS) return rc;
        for (std::size_t i = applied; i < end; ++i) {
            const logged_change& change = changes[i];
            // A later change of the same key follows at once and holds its whole value.
            if (i + 1 < changes.size() && changes[i + 1].database == change.database && changes[i + 1].key == change.key) continue;
            MDB_val key = as_val(change.key);
            int rc = MDB_SUCCESS;
            if (change.value) {
                MDB_val value = as_val(*change.value);
                rc = mdb_put(txn.get(), databases[change.database], &key, &value, 0);
            } else {
                rc = mdb_del(txn.get(), databases[change.database], &key, nullptr);
                if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
            }
            if (rc != MDB_SUCCESS) return rc;
        }
        if (last) {
            if (const int rc = wal_format::put_checkpoint(txn.get(), environment.meta(), last_sequence); rc != MDB_SUCCESS) return rc;
        }
        if (const int rc = txn.commit(); rc != MDB_SUCCESS) return rc;
        applied = end;
        if (last) return MDB_SUCCESS;
    }
}

}  // namespace

log_replay replay_write_ahead_log(const std::array<std::string, 2>& paths, lmdb_environment& environment) {
    log_replay result;
    result.last_sequence = read_checkpoint(environment);
    std::vector<std::pair<const std::string*, file_descriptor>> files;
    // Mapped, not read into the heap (a full log is hundreds of MiB): the frames' changes view
    // these bytes. Nothing else writes the files meanwhile: the server holds the data dir's lock.
    std::array<mapped_file, 2> contents;
    std::vector<logged_frame> newer;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const std::string& path = paths[i];
        file_descriptor file(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!file.is_open()) {
            if (errno == ENOENT) continue;
            throw errno_error("open " + path);
        }
        struct stat info {};
        if (::fstat(file.get(), &info) != 0) throw errno_error("stat " + path);
        contents[i] = mapped_file(file.get(), static_cast<std::size_t>(info.st_size));
        if (!contents[i].is_mapped()) throw errno_error("mmap " + path);
        for (auto& frame : read_frames(contents[i].bytes())) {
            if (frame.sequence > result.last_sequence) newer.push_back(std::move(frame));  // else the checkpoint holds it
        }
        files.emplace_back(&path, std::move(file));
    }
    // One file holds the frames a checkpoint was writing, the other those logged meanwhile: in
    // number order they continue each other. A missing number ends the log, like a torn frame.
    std::sort(newer.begin(), newer.end(), [](const logged_frame& a, const logged_frame& b) { return a.sequence < b.sequence; });
    std::vector<logged_change> changes;
    for (auto& frame : newer) {
        if (frame.sequence != result.last_sequence + 1) break;
        result.changes += frame.changes.size();
        result.last_sequence = frame.sequence;
        ++result.frames;
        changes.insert(changes.end(), frame.changes.begin(), frame.changes.end());
    }
    newer = {};
    // By key, so that each transaction writes neighbouring leaf pages, each once, and only a key's
    // last change is put (stable: a key's changes stay in log order).
    std::stable_sort(changes.begin(), changes.end(), [](const logged_change& a, const logged_change& b) {
        return a.database != b.database ? a.database < b.database : a.key < b.key;
    });

    if (result.frames != 0) {
        std::size_t applied = 0;
        int rc = apply(environment, changes, applied, result.last_sequence);
        // The log holds up to a checkpoint's worth of writes, and a map sized for less grows here
        // too; the transactions committed before stay.
        while (rc == MDB_MAP_FULL) {
            if (const int grown = environment.set_map_size(environment.map_size() * 2); grown != MDB_SUCCESS) {
                throw lmdb_error("mdb_env_set_mapsize", grown);
            }
            rc = apply(environment, changes, applied, result.last_sequence);
        }
        if (rc != MDB_SUCCESS) throw lmdb_error("applying the write-ahead log " + paths[0] + "(.1)", rc);
    }
    // Applied and committed: the frames are no longer needed (a crash before this replays them again).
    for (const auto& [path, file] : files) {
        if (::ftruncate(file.get(), 0) != 0 || ::fsync(file.get()) != 0) throw errno_error("truncate " + *path);
    }
    return result;
}

log_replay peek_write_ahead_log(const std::array<std::string, 2>& paths, std::uint64_t checkpoint) {
    log_replay result;
    result.last_sequence = checkpoint;
    std::vector<logged_frame> newer;
    std::array<std::string, 2> contents;  // the frames' changes view these bytes
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const file_descriptor file(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
        if (!file.is_open()) {
            if (errno == ENOENT) continue;
            throw errno_error("open " + paths[i]);
        }
        contents[i] = read_whole(file.get(), paths[i]);
        for (auto& frame : read_frames(contents[i])) {
            if (frame.sequence > checkpoint) newer.push_back(std::move(frame));
        }
    }
    std::sort(newer.begin(), newer.end(), [](const logged_frame& a, const logged_frame& b) { return a.sequence < b.sequence; });
    for (const auto& frame : newer) {
        if (frame.sequence != result.last_sequence + 1) break;
        ++result.frames;
        result.changes += frame.changes.size();
        result.last_sequence = frame.sequence;
    }
    return result;
}

}  // namespace progressd::store
