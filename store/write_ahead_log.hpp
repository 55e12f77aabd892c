#pragma once
// The write-ahead log of sync mode: one fsync per group commit instead of an LMDB commit.
//
// Why: an LMDB commit copies every B-tree page it touches and syncs twice; a batch of 64 pings to
// 64 users dirties ~100 pages, so sync mode spent more CPU writing pages than serving requests.
// With the log, a sync batch is appended to one file as one checksummed frame and fdatasync'd,
// then its waiters are released; the persister keeps the changes and writes them to LMDB every
// flush interval (a checkpoint), as snapshot mode does. The checkpoint's last transaction records
// the newest frame it covers (meta key `wal_checkpoint`), after which the log is rewound and
// overwritten from its start: the file never grows past what one interval writes.
//
// The file is extended ahead of the frames, a mebibyte of zeros at a time, so that a frame
// overwrites blocks the file already has: fdatasync then has no file size to commit through the
// file system's journal, only the data (ext4 here: 95 µs instead of 145 µs at the median, so
// half again as many group commits a second; bench/README.md). Zeros end the log like a torn frame.
//
// Start-up (replay_write_ahead_log) reads the frames from the file's start while each is intact
// and numbered one after the previous (a torn last frame, or an older frame left behind a
// rewind, ends the log), applies to LMDB those newer than the checkpoint marker, in order, in one
// transaction, and empties the file. Each frame holds whole encoded values, so applying a frame
// twice, or over a checkpoint that already holds it, changes nothing.
//
// Frame: header {u32 magic, u32 payload size, u64 sequence, u32 crc32 of sequence and payload,
// u32 zero}, then per change {u8 database, u8 has value, u32 key size, u32 value size, key,
// value}; host byte order, like the LMDB file beside it.

#include "store/lmdb.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct log_replay {
    std::size_t frames = 0;   // applied (newer than the checkpoint)
    std::size_t changes = 0;  // in those frames
    std::uint64_t last_sequence = 0;  // newest frame known, applied or checkpointed before
};

// The log's file in a data dir.
std::string write_ahead_log_path(const std::string& data_dir);

// Applies the log at `path` to LMDB as above and empties it; no file, nothing to do. Throws with
// what failed (the server must not start on a data dir whose log it could not apply).
log_replay replay_write_ahead_log(const std::string& path, lmdb_environment& environment);

class write_ahead_log {
public:
    // Opens (creating) the log for appending, after replay: frames continue from last_sequence.
    write_ahead_log(const std::string& path, const lmdb_environment& environment, std::uint64_t last_sequence);
    ~write_ahead_log();
    write_ahead_log(const write_ahead_log&) = delete;
    write_ahead_log& operator=(const write_ahead_log&) = delete;

    // Adds a change to the frame being built; nullopt value: delete.
    void add(MDB_dbi database, std::string_view key, std::optional<std::string_view> value);
    // Writes the frame built so far and fdatasyncs it. Returns 0 or the errno that failed; the
    // frame is dropped either way, and its sequence number used. After a failure every frame
    // fails the same way until rewind().
    int write_frame();
    // The newest frame written or attempted: a checkpoint holding every change added so far covers it.
    std::uint64_t last_sequence() const { return sequence_; }
    // Records in the checkpoint's transaction that it covers every frame up to last_sequence().
    int put_checkpoint(MDB_txn* txn) const;
    // After such a checkpoint committed: the next frame overwrites the file from its start.
    void rewind() {
        offset_ = 0;
        failed_ = 0;
    }
    std::uint64_t bytes() const { return offset_; }

private:
    std::array<MDB_dbi, 6> databases_;  // a frame names a change's database by its index here
    MDB_dbi meta_;
    int fd_ = -1;
    void extend_to(std::uint64_t end);

    std::uint64_t offset_ = 0;
    std::uint64_t allocated_ = 0;  // the file's size: frames below it overwrite, and zeros follow them
    std::uint64_t sequence_ = 0;
    int failed_ = 0;  // errno of a failed frame, until rewind()
    std::string frame_;  // header space, then the payload being built
};

}  // namespace progressd::store
