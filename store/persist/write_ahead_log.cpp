// The write-ahead log's writer, and what checkpoints read back (store/persist/write_ahead_log.hpp);
// start-up's replay is in write_ahead_log_replay.cpp.
#include "store/persist/write_ahead_log.hpp"

#include "common/errno_error.hpp"
#include "store/persist/write_ahead_log_format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <utility>

namespace progressd::store {
namespace {

using wal_format::append;
using wal_format::change_header_size;
using wal_format::header_size;
using wal_format::put_at;
using wal_format::read_at;

constexpr std::uint64_t extension_bytes = std::uint64_t{1} << 20;
// A frame's payload goes to the file in pieces of this size, not built whole in memory first (a
// snapshot-mode batch's frame: ~85 bytes a change of the last second).
constexpr std::size_t piece_bytes = std::size_t{256} << 10;

}  // namespace

std::array<std::string, 2> write_ahead_log_paths(const std::string& data_dir) {
    return {data_dir + "/progressd.wal", data_dir + "/progressd.wal.1"};
}

write_ahead_log::write_ahead_log(const std::array<std::string, 2>& paths, const lmdb_environment& environment,
                                 std::uint64_t last_sequence)
    : databases_(wal_format::logged_databases(environment)), meta_(environment.meta()), sequence_(last_sequence) {
    // A throw below closes what was opened: files_ is a member, already constructed.
    for (std::size_t i = 0; i < files_.size(); ++i) {
        const std::string& path = paths[i];
        files_[i].fd = file_descriptor(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!files_[i].fd.is_open()) throw errno_error("open " + path);
        struct stat info {};
        if (::fstat(files_[i].fd.get(), &info) == 0) files_[i].allocated = static_cast<std::uint64_t>(info.st_size);
    }
    // A frame synced into a file whose directory entry was not would vanish with a power loss.
    const file_descriptor directory(
        ::open(std::filesystem::path(paths[0]).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (::fsync(files_[0].fd.get()) != 0 || ::fsync(files_[1].fd.get()) != 0 || !directory.is_open() ||
        ::fsync(directory.get()) != 0) {
        throw errno_error("sync " + paths[0]);
    }
    piece_.reserve(piece_bytes);
}

void write_ahead_log::add(MDB_dbi database, std::string_view key, std::optional<std::string_view> value) {
    std::uint8_t index = 0;
    while (databases_[index] != database) ++index;  // the persister writes only these
    if (payload_bytes_ == 0) checksum_ = wal_format::checksum(sequence_ + 1);
    const std::size_t before = piece_.size();
    append(piece_, index);
    append(piece_, std::uint8_t{value.has_value()});
    append(piece_, static_cast<std::uint32_t>(key.size()));
    append(piece_, static_cast<std::uint32_t>(value ? value->size() : 0));
    piece_.append(key);
    if (value) piece_.append(*value);
    payload_bytes_ += piece_.size() - before;
}

void write_ahead_log::write_pieces() {
    if (piece_.size() >= piece_bytes) write_piece();
}

void write_ahead_log::abandon_frame() {
    payload_bytes_ = 0;
    piece_error_ = 0;
    clear_piece();
}

void write_ahead_log::write_piece() {
    checksum_.add(piece_);
    file& target = files_[active_];
    // After a failed piece the frame fails: the rest is only counted.
    if (failed_ == 0 && piece_error_ == 0) {
        piece_error_ = write_at(target, target.offset + header_size + payload_bytes_ - piece_.size(), piece_);
    }
    clear_piece();
}

void write_ahead_log::clear_piece() {
    // A shard's burst of changes (added between two write_pieces) may have grown it far past a piece.
    if (piece_.capacity() > 4 * piece_bytes) {
        std::string().swap(piece_);
        piece_.reserve(piece_bytes);
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
    if (payload_bytes == 0) checksum_ = wal_format::checksum(sequence_);
    file& target = files_[active_];
    int error = piece_error;
    if (error == 0) {
        std::string header(header_size, '\0');
        put_at(header, 0, wal_format::magic);
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
    wal_format::scan_frames(frames, [&](std::uint64_t sequence, std::string_view payload) {
        const bool whole = wal_format::for_each_change(payload, [&](const wal_format::change& change) {
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
    return wal_format::put_checkpoint(txn, meta_, sequence);
}

}  // namespace progressd::store
