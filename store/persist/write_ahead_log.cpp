#include "store/persist/write_ahead_log.hpp"

#include "store/persist/log_frame_format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

namespace progressd::store {
namespace {

using log_frame::append;
using log_frame::change_header_size;
using log_frame::header_size;
using log_frame::put_at;
using log_frame::read_at;

std::uint32_t frame_checksum_of(std::uint64_t sequence, std::string_view payload) {
    log_frame::checksum checksum(sequence);
    checksum.add(payload);
    return checksum.value();
}

constexpr std::string_view checkpoint_key = "wal_checkpoint";
constexpr std::uint64_t extension_bytes = std::uint64_t{1} << 20;
// A frame's payload goes to the file in pieces of this size, not built whole in memory first (a
// snapshot-mode batch's frame: ~85 bytes a change of the last second).
constexpr std::size_t piece_bytes = std::size_t{256} << 10;

// A frame names its database by position here, not by MDB_dbi, which is only a handle.
std::array<MDB_dbi, 6> logged_databases(const lmdb_environment& environment) {
    return {environment.records(),     environment.catalog(),  environment.enrolments(),
            environment.assessments(), environment.webhooks(), environment.outbox()};
}

std::runtime_error system_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

std::string read_whole(int fd, const std::string& path) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw system_error("stat " + path);
    std::string content(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::pread(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw system_error("read " + path);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    content.resize(done);
    return content;
}

// One change of a frame's payload, as read back.
struct logged_change {
    std::uint8_t database;
    std::string_view key;
    std::optional<std::string_view> value;
};

// Calls visit(change) for each change of a payload, in order; false when it does not decode
// (cannot happen to a frame whose checksum held, short of a bug, so the frame is then treated as
// the log's end).
template <typename Visit>
bool for_each_change(std::string_view payload, Visit&& visit) {
    std::size_t at = 0;
    while (at < payload.size()) {
        if (payload.size() - at < change_header_size) return false;
        const auto database = read_at<std::uint8_t>(payload, at);
        const auto has_value = read_at<std::uint8_t>(payload, at + 1);
        const auto key_size = read_at<std::uint32_t>(payload, at + 2);
        const auto value_size = read_at<std::uint32_t>(payload, at + 6);
        at += change_header_size;
        if (database >= 6 || has_value > 1 || payload.size() - at < std::uint64_t{key_size} + value_size) return false;
        logged_change change{database, payload.substr(at, key_size), std::nullopt};
        if (has_value) change.value = payload.substr(at + key_size, value_size);
        visit(change);
        at += std::size_t{key_size} + value_size;
    }
    return true;
}

std::optional<std::vector<logged_change>> parse_payload(std::string_view payload) {
    std::vector<logged_change> changes;
    if (!for_each_change(payload, [&](const logged_change& change) { changes.push_back(change); })) return std::nullopt;
    return changes;
}

// Calls frame(sequence, payload) for each frame at the start of `content` that is intact and
// numbered one after the previous, until one is not or frame() returns false.
template <typename Frame>
void scan_frames(std::string_view content, Frame&& frame) {
    std::optional<std::uint64_t> previous;
    for (std::size_t at = 0; content.size() - at >= header_size;) {
        const std::string_view rest = content.substr(at);
        const auto payload_size = read_at<std::uint32_t>(rest, 4);
        const auto sequence = read_at<std::uint64_t>(rest, 8);
        if (read_at<std::uint32_t>(rest, 0) != log_frame::magic || rest.size() - header_size < payload_size) return;
        if (previous && sequence != *previous + 1) return;
        const std::string_view payload = rest.substr(header_size, payload_size);
        if (read_at<std::uint32_t>(rest, 16) != frame_checksum_of(sequence, payload)) return;
        if (!frame(sequence, payload)) return;
        previous = sequence;
        at += header_size + payload_size;
    }
}

std::uint64_t read_checkpoint(const lmdb_environment& environment) {
    lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw lmdb_error("mdb_txn_begin", rc);
    MDB_val key = as_val(checkpoint_key);
    MDB_val value{};
    const int rc = mdb_get(txn.get(), environment.meta(), &key, &value);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != MDB_SUCCESS) throw lmdb_error("mdb_get(wal_checkpoint)", rc);
    if (value.mv_size != sizeof(std::uint64_t)) throw std::runtime_error("wal_checkpoint in LMDB is malformed");
    return read_at<std::uint64_t>(as_view(value), 0);
}

int put_checkpoint_value(MDB_txn* txn, MDB_dbi meta, std::uint64_t sequence) {
    MDB_val key = as_val(checkpoint_key);
    MDB_val value{sizeof sequence, &sequence};
    return mdb_put(txn, meta, &key, &value, 0);
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
    const auto databases = logged_databases(environment);
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
            if (const int rc = put_checkpoint_value(txn.get(), environment.meta(), last_sequence); rc != MDB_SUCCESS) return rc;
        }
        if (const int rc = txn.commit(); rc != MDB_SUCCESS) return rc;
        applied = end;
        if (last) return MDB_SUCCESS;
    }
}

}  // namespace

std::array<std::string, 2> write_ahead_log_paths(const std::string& data_dir) {
    return {data_dir + "/progressd.wal", data_dir + "/progressd.wal.1"};
}

namespace {

struct logged_frame {
    std::uint64_t sequence;
    std::vector<logged_change> changes;
};

// The frames at the start of `content` that are intact and numbered one after another.
std::vector<logged_frame> read_frames(std::string_view content) {
    std::vector<logged_frame> frames;
    scan_frames(content, [&](std::uint64_t sequence, std::string_view payload) {
        auto changes = parse_payload(payload);
        if (changes) frames.push_back({sequence, std::move(*changes)});
        return changes.has_value();
    });
    return frames;
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
            throw system_error("open " + path);
        }
        struct stat info {};
        if (::fstat(file.get(), &info) != 0) throw system_error("stat " + path);
        contents[i] = mapped_file(file.get(), static_cast<std::size_t>(info.st_size));
        if (!contents[i].is_mapped()) throw system_error("mmap " + path);
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
        if (::ftruncate(file.get(), 0) != 0 || ::fsync(file.get()) != 0) throw system_error("truncate " + *path);
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
            throw system_error("open " + paths[i]);
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

write_ahead_log::write_ahead_log(const std::array<std::string, 2>& paths, const lmdb_environment& environment,
                                 std::uint64_t last_sequence)
    : databases_(logged_databases(environment)), meta_(environment.meta()), sequence_(last_sequence) {
    // A throw below closes what was opened: files_ is a member, already constructed.
    for (std::size_t i = 0; i < files_.size(); ++i) {
        const std::string& path = paths[i];
        files_[i].fd = file_descriptor(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!files_[i].fd.is_open()) throw system_error("open " + path);
        struct stat info {};
        if (::fstat(files_[i].fd.get(), &info) == 0) files_[i].allocated = static_cast<std::uint64_t>(info.st_size);
    }
    // A frame synced into a file whose directory entry was not would vanish with a power loss.
    const file_descriptor directory(
        ::open(std::filesystem::path(paths[0]).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (::fsync(files_[0].fd.get()) != 0 || ::fsync(files_[1].fd.get()) != 0 || !directory.is_open() ||
        ::fsync(directory.get()) != 0) {
        throw system_error("sync " + paths[0]);
    }
    piece_.reserve(piece_bytes);
}

void write_ahead_log::add(MDB_dbi database, std::string_view key, std::optional<std::string_view> value) {
    std::uint8_t index = 0;
    while (databases_[index] != database) ++index;  // the persister writes only these
    if (payload_bytes_ == 0) checksum_ = log_frame::checksum(sequence_ + 1);
    const std::size_t before = piece_.size();
    append(piece_, index);
    append(piece_, std::uint8_t{value.has_value()});
    append(piece_, static_cast<std::uint32_t>(key.size()));
    append(piece_, static_cast<std::uint32_t>(value ? value->size() : 0));
    piece_.append(key);
    if (value) piece_.append(*value);
    payload_bytes_ += piece_.size() - before;
    if (piece_.size() >= piece_bytes) write_piece();
}

void write_ahead_log::write_piece() {
    checksum_.add(piece_);
    file& target = files_[active_];
    // After a failed piece the frame fails: the rest is only counted.
    if (failed_ == 0 && piece_error_ == 0) {
        piece_error_ = write_at(target, target.offset + header_size + payload_bytes_ - piece_.size(), piece_);
    }
    piece_.clear();
}

int write_ahead_log::write_frame() {
    // The payload first, the header that makes the frame intact after it, then one fdatasync.
    write_piece();
    const std::uint64_t payload_bytes = std::exchange(payload_bytes_, 0);
    const int piece_error = std::exchange(piece_error_, 0);
    if (failed_ != 0) return failed_;
    ++sequence_;
    if (payload_bytes == 0) checksum_ = log_frame::checksum(sequence_);
    file& target = files_[active_];
    int error = piece_error;
    if (error == 0) {
        std::string header(header_size, '\0');
        put_at(header, 0, log_frame::magic);
        put_at(header, 4, static_cast<std::uint32_t>(payload_bytes));
        put_at(header, 8, sequence_);
        put_at(header, 16, checksum_.value());
        error = write_at(target, target.offset, header);
    }
    if (error == 0 && ::fdatasync(target.fd.get()) != 0) error = errno;
    // A failed frame's bytes may be on disk, numbered: the next frame must not follow them, so
    // none is written until a checkpoint has covered this one and rewound the log.
    if (error == 0) target.offset += header_size + payload_bytes;
    failed_ = error;
    return error;
}

int write_ahead_log::write_at(file& target, std::uint64_t offset, std::string_view bytes) {
    if (offset + bytes.size() > target.allocated) extend_to(target, offset + bytes.size());
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::pwrite(target.fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno != EINTR) return errno;
        if (n > 0) done += static_cast<std::size_t>(n);
    }
    return 0;
}

void write_ahead_log::extend_to(file& target, std::uint64_t end) {
    static constexpr std::array<char, 65536> zeros{};
    const std::uint64_t size = (end + extension_bytes - 1) / extension_bytes * extension_bytes;
    // A failure here only costs the speed-up: the frame's own write reports what is wrong.
    while (target.allocated < size) {
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - target.allocated));
        const ssize_t n = ::pwrite(target.fd.get(), zeros.data(), chunk, static_cast<off_t>(target.allocated));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        target.allocated += static_cast<std::uint64_t>(n);
    }
}

mapped_file write_ahead_log::map_active() const {
    const file& active = files_[active_];
    return mapped_file(active.fd.get(), static_cast<std::size_t>(active.offset));
}

log_read_back write_ahead_log::read_back(std::string_view frames, const change_visitor& visit) const {
    log_read_back read;
    scan_frames(frames, [&](std::uint64_t sequence, std::string_view payload) {
        const bool whole = for_each_change(payload, [&](const logged_change& change) {
            visit(static_cast<std::size_t>(change.key.data() - frames.data()) - change_header_size, change.key);
            ++read.changes;
        });
        if (whole) {
            read.last_sequence = sequence;
            read.end = static_cast<std::size_t>(payload.data() + payload.size() - frames.data());
        }
        return whole;
    });
    return read;
}

log_change write_ahead_log::change_at(std::string_view frames, std::size_t offset) const {
    // read_back decoded this change whole: its header and bytes are within `frames`.
    const auto database = read_at<std::uint8_t>(frames, offset);
    const auto key_size = read_at<std::uint32_t>(frames, offset + 2);
    const std::size_t key_at = offset + change_header_size;
    log_change change{databases_[database], frames.substr(key_at, key_size), std::nullopt};
    if (read_at<std::uint8_t>(frames, offset + 1) != 0) {
        change.value = frames.substr(key_at + key_size, read_at<std::uint32_t>(frames, offset + 6));
    }
    return change;
}

int write_ahead_log::put_checkpoint(MDB_txn* txn, std::uint64_t sequence) const {
    return put_checkpoint_value(txn, meta_, sequence);
}

}  // namespace progressd::store
