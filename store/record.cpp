#include "store/record.hpp"

namespace progressd::store {

std::string format_uuid(const std::array<std::uint8_t, 16>& bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    // 8-4-4-4-12: written into place, since a record listing formats one per record.
    std::string text(36, '-');
    std::size_t at = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) ++at;
        text[at++] = hex[bytes[i] >> 4];
        text[at++] = hex[bytes[i] & 0x0f];
    }
    return text;
}

}  // namespace progressd::store
