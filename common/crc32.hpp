#pragma once
// CRC-32 (IEEE 802.3: polynomial 0x04C11DB7 reflected, initial and final value 0xFFFFFFFF), the
// one of zlib, gzip and PNG. Two users: a user's cluster partition (store/partition.hpp), which
// HAProxy and Python compute the same way, and the write-ahead log's frames
// (store/persist/write_ahead_log_format.hpp), whose every byte is checked twice, when written and
// when read back by a checkpoint.
//
// Computed by zlib, whose braided tables take ~0.2 ns a byte on the 2-core test box against ~2.3 ns
// for a table a byte at a time (Boost.CRC's, which the log used before): at 50 000 new records a
// second that was ~4 % of the one core, in the persister and the checkpoint thread.

#include <cstdint>
#include <string_view>

namespace progressd {

// The CRC-32 of `bytes` following bytes whose CRC-32 was `before` (0: none), so a value can be
// computed piece by piece: crc32(b, crc32(a)) == crc32(a + b).
std::uint32_t crc32(std::string_view bytes, std::uint32_t before = 0);

}  // namespace progressd
