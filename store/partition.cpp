#include "store/partition.hpp"

#include <array>

namespace progressd::store {
namespace {

// The byte-at-a-time table, built at compile time: user ids are short (≤ 128 bytes), so a
// slicing-by-8 table or the CPU's crc32 instruction (which computes CRC-32C, another polynomial)
// would gain nothing worth a second implementation.
constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t value = i;
        for (int bit = 0; bit < 8; ++bit) value = (value & 1) ? (value >> 1) ^ 0xEDB88320u : value >> 1;
        table[i] = value;
    }
    return table;
}

constexpr auto crc_table = make_table();

}  // namespace

std::uint32_t crc32(std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) crc = crc_table[(crc ^ static_cast<std::uint8_t>(c)) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

}  // namespace progressd::store
