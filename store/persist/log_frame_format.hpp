#pragma once
// The write-ahead log's frame layout (store/persist/write_ahead_log.hpp), shared by the code that
// writes frames and the code that reads them back.
//
// Frame: header {u32 magic, u32 payload size, u64 sequence, u32 crc32 of sequence and payload,
// u32 zero}, then per change {u8 database, u8 has value, u32 key size, u32 value size, key,
// value}; host byte order, like the LMDB file beside it.

#include <boost/crc.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace progressd::store::log_frame {

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
    explicit checksum(std::uint64_t sequence) { crc_.process_bytes(&sequence, sizeof sequence); }
    void add(std::string_view payload) { crc_.process_bytes(payload.data(), payload.size()); }
    std::uint32_t value() const { return crc_.checksum(); }

private:
    boost::crc_32_type crc_;
};

}  // namespace progressd::store::log_frame
