#pragma once
// The write-ahead log's format (store/persist/write_ahead_log.hpp): the frames in its files, and
// the marker in LMDB's meta database that says which frames LMDB already holds. Shared by the
// log's writer and checkpoints (write_ahead_log.cpp) and start-up's replay
// (write_ahead_log_replay.cpp).
//
// Frame: header {u32 magic, u32 payload size, u64 sequence, u32 crc32 of sequence and payload,
// u32 zero}, then per change {u8 database, u8 has value, u32 key size, u32 value size, key,
// value}; host byte order, like the LMDB file beside it. A frame names a change's database by its
// position in logged_databases(), not by MDB_dbi, which is only a handle.

#include "common/crc32.hpp"
#include "store/persist/lmdb.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store::wal_format {

constexpr std::uint32_t magic = 0x4C415750;  // "PWAL"
constexpr std::size_t header_size = 24;
constexpr std::size_t change_header_size = 10;

template <typename T>
void put_at(std::string& out, std::size_t at, T value) {
    std::memcpy(out.data() + at, &value, sizeof value);
}

template <typename T>
void append(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T read_at(std::string_view in, std::size_t at) {
    T value;
    std::memcpy(&value, in.data() + at, sizeof value);
    return value;
}

// The header's crc32, over the sequence number and then the payload, which may come in pieces.
class checksum {
public:
    explicit checksum(std::uint64_t sequence)
        : crc_(crc32({reinterpret_cast<const char*>(&sequence), sizeof sequence})) {}
    void add(std::string_view payload) { crc_ = crc32(payload, crc_); }
    std::uint32_t value() const { return crc_; }

private:
    std::uint32_t crc_;
};

inline std::array<MDB_dbi, 6> logged_databases(const lmdb_environment& environment) {
    return {environment.records(),     environment.catalog(),  environment.enrolments(),
            environment.assessments(), environment.webhooks(), environment.outbox()};
}

// One change of a frame's payload, as read back: its bytes view the payload's.
struct change {
    std::uint8_t database;  // position in logged_databases()
    std::string_view key;
    std::optional<std::string_view> value;  // nullopt: delete
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
        change found{database, payload.substr(at, key_size), std::nullopt};
        if (has_value) found.value = payload.substr(at + key_size, value_size);
        visit(found);
        at += std::size_t{key_size} + value_size;
    }
    return true;
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
        if (read_at<std::uint32_t>(rest, 0) != magic || rest.size() - header_size < payload_size) return;
        if (previous && sequence != *previous + 1) return;
        const std::string_view payload = rest.substr(header_size, payload_size);
        checksum expected(sequence);
        expected.add(payload);
        if (read_at<std::uint32_t>(rest, 16) != expected.value()) return;
        if (!frame(sequence, payload)) return;
        previous = sequence;
        at += header_size + payload_size;
    }
}

// The marker: the newest frame LMDB holds, under this meta key; 0 when there is none.
constexpr std::string_view checkpoint_key = "wal_checkpoint";

inline int put_checkpoint(MDB_txn* txn, MDB_dbi meta, std::uint64_t sequence) {
    MDB_val key = as_val(checkpoint_key);
    MDB_val value{sizeof sequence, &sequence};
    return mdb_put(txn, meta, &key, &value, 0);
}

}  // namespace progressd::store::wal_format
