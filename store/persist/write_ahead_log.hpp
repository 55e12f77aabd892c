#pragma once
// The write-ahead log: every batch of the persister, in either durability mode, as one fdatasync'd
// frame instead of an LMDB commit.
//
// Why: an LMDB commit copies every B-tree page it touches, whole, and syncs twice; a batch of 64
// pings to 64 users dirties ~100 pages, and a new record in a large store a page of its own. A
// batch is appended to a file as one checksummed frame and fdatasync'd, which makes it durable;
// LMDB gets the frames later, in a checkpoint that reads them back from the file
// (store/persist/persister.hpp). The checkpoint's last transaction records the newest frame it
// covers (meta key `wal_checkpoint`), after which that file is free to be overwritten from its
// start.
//
// A file is extended ahead of the frames, a mebibyte of zeros at a time, so that a frame
// overwrites blocks the file already has: fdatasync then has no file size to commit through the
// file system's journal, only the data (ext4 here: 95 µs instead of 145 µs at the median, so
// half again as many group commits a second; docs/durability.md). Zeros end the log like a torn frame.
//
// Two files take turns, so that a checkpoint never stops the frames: when one starts, the frames
// so far are all in the active file, and the next ones go to the other file, from its start,
// while a thread of the persister's own writes the checkpoint to LMDB (store/persist/persister.hpp). A
// file is only written again once a checkpoint covering its frames has committed.
//
// Start-up (replay_write_ahead_log) reads each file's frames from its start while each is intact
// and numbered one after the previous (a torn last frame, or an older frame left behind a
// rewind, ends a file), takes those newer than the checkpoint marker from both, in sequence order
// and only while no number is missing, applies them to LMDB sorted by key, in transactions of
// 4 096 changes whose last marks them all as held, and empties the files. Each frame holds whole
// encoded values, so applying a frame twice, or over a checkpoint that already holds it, changes
// nothing, and a crash part way through replay replays them all again.
//
// A frame's payload is written in pieces as the persister adds its changes, and its header, which
// makes it intact, last (store/persist/write_ahead_log_format.hpp has the layout). The persister
// encodes a batch's records straight into the frame (store/persist/persister.hpp), so neither
// the frame nor the batch is ever held whole in memory.

#include "common/file_descriptor.hpp"
#include "common/mapped_file.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/write_ahead_log_format.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct log_replay {
    std::size_t frames = 0;   // applied (newer than the checkpoint)
    std::size_t changes = 0;  // in those frames
    std::uint64_t last_sequence = 0;  // newest frame known, applied or checkpointed before
};

// The log's two files in a data dir (the first is the only one an older progressd wrote).
std::array<std::string, 2> write_ahead_log_paths(const std::string& data_dir);

// Applies the log's files at `paths` to LMDB as above and empties them; a missing file holds
// nothing. Throws with what failed (the server must not start on a data dir whose log it could
// not apply).
log_replay replay_write_ahead_log(const std::array<std::string, 2>& paths, lmdb_environment& environment);

// Reads the log's files at `paths` as replay would, changing nothing: the intact frames newer than
// `checkpoint` (the meta key `wal_checkpoint`) that replay would apply, and their changes. For
// tools that look at a data dir, possibly while its server appends (a frame being written reads
// as torn, so as the log's end). Throws with what failed when a file exists but cannot be read.
log_replay peek_write_ahead_log(const std::array<std::string, 2>& paths, std::uint64_t checkpoint);

// What read_back found in a file's frames.
struct log_read_back {
    std::size_t changes = 0;
    std::uint64_t last_sequence = 0;
    std::size_t end = 0;  // bytes of intact frames from the start
};

// One change of a frame, as read back: its bytes view the file's.
struct log_change {
    MDB_dbi database = 0;
    std::string_view key;
    std::optional<std::string_view> value;  // nullopt: delete
};

class write_ahead_log {
public:
    // Called with the offset of each change in the bytes read back (see change_at), and its key.
    using change_visitor = std::function<void(std::size_t offset, std::string_view key)>;

    // Opens (creating) both files for appending, after replay: frames continue from last_sequence,
    // into the first file.
    write_ahead_log(const std::array<std::string, 2>& paths, const lmdb_environment& environment,
                    std::uint64_t last_sequence);
    write_ahead_log(const write_ahead_log&) = delete;
    write_ahead_log& operator=(const write_ahead_log&) = delete;

    // Adds a change to the frame being built, in memory; nullopt value: delete. The caller writes
    // it out a piece at a time with write_pieces(), or whole with write_frame().
    void add(MDB_dbi database, std::string_view key, std::optional<std::string_view> value);
    // Writes the frame's payload added so far to the active file once it makes a piece (256 KiB),
    // so that a large frame is never held whole. Separate from add() because add() is called
    // under the store's shard locks, and a write to the page cache can wait on writeback.
    void write_pieces();
    // Drops the frame being built without writing its header: the log is as before it began. Its
    // pieces already written lie past the active file's end, where the next frame overwrites them.
    void abandon_frame();
    // Writes the frame built so far to the active file and fdatasyncs it. Returns 0 or the errno
    // that failed; the frame is dropped either way, and its sequence number used. After a failure
    // every frame fails the same way until rewind().
    int write_frame();
    // The newest frame written or attempted: a checkpoint holding every change added so far covers it.
    std::uint64_t last_sequence() const { return sequence_; }
    // Records in a checkpoint's transaction that it covers every frame up to `sequence`. Touches
    // no state of the log: the checkpoint thread calls it while frames are being written.
    int put_checkpoint(MDB_txn* txn, std::uint64_t sequence) const;
    // After a checkpoint covering last_sequence() committed: the next frame overwrites the active
    // file from its start.
    void rewind() {
        files_[active_].offset = 0;
        failed_ = 0;
    }
    // When a checkpoint of every frame so far starts: later frames go to the other file, from its
    // start. The caller makes sure that file's frames are all covered by a committed checkpoint.
    void switch_files() {
        active_ ^= 1;
        rewind();
    }
    // Bytes in the active file.
    std::uint64_t bytes() const { return files_[active_].offset; }
    // The active file's frames so far, mapped read-only: what a checkpoint writes to LMDB once
    // switch_files() has set them aside, or what the persister commits itself.
    mapped_file map_active() const;
    // Calls `visit` for each change of the intact frames numbered one after another at the start of
    // `frames` (a file's bytes), in log order. Reads nothing of the log's state that changes after
    // construction: the checkpoint thread calls it while frames are being written.
    log_read_back read_back(std::string_view frames, const change_visitor& visit) const;
    // The change read_back found at `offset` of the same `frames`. A checkpoint keeps only these
    // offsets (and the keys' first bytes), not a 48-byte log_change a change.
    log_change change_at(std::string_view frames, std::size_t offset) const;

private:
    struct file {
        file_descriptor fd;
        std::uint64_t offset = 0;
        std::uint64_t allocated = 0;  // the file's size: frames below it overwrite, and zeros follow them
    };
    void extend_to(file& target, std::uint64_t end);
    // Returns 0 or the errno that failed.
    int write_at(file& target, std::uint64_t offset, std::string_view bytes);
    void write_piece();
    void clear_piece();

    std::array<MDB_dbi, 6> databases_;  // a frame names a change's database by its index here
    MDB_dbi meta_;
    std::array<file, 2> files_;
    std::size_t active_ = 0;
    std::uint64_t sequence_ = 0;
    int failed_ = 0;  // errno of a failed frame, until rewind()
    // The frame being built: its payload so far, of which all but piece_ is in the active file
    // after its header's place.
    std::uint64_t payload_bytes_ = 0;
    std::string piece_;
    wal_format::checksum checksum_{0};
    int piece_error_ = 0;  // errno of a piece of this frame that failed
};

}  // namespace progressd::store
