#include "handlers/auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace progressd::auth {
namespace {

constexpr std::string_view standard_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t invalid = 0xff;

// Reverse lookup: byte → 6-bit value, or `invalid`.
constexpr std::array<std::uint8_t, 256> make_decode_table(std::string_view alphabet) {
    std::array<std::uint8_t, 256> table{};
    table.fill(invalid);
    for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}

constexpr auto standard_table = make_decode_table(standard_alphabet);
constexpr auto url_table = make_decode_table(url_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[group >> 18 & 0x3f];
        out += alphabet[group >> 12 & 0x3f];
        out += alphabet[group >> 6 & 0x3f];
        out += alphabet[group & 0x3f];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 0) return out;
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[group >> 18 & 0x3f];
    out += alphabet[group >> 12 & 0x3f];
    if (rest == 2) out += alphabet[group >> 6 & 0x3f];
    if (pad) out.append(rest == 1 ? 2 : 1, '=');
    return out;
}

// Decodes unpadded text. A final group of 2 or 3 characters carries 1 or 2 bytes; its unused low
// bits must be zero (canonical form), and a lone final character carries no whole byte at all.
std::optional<std::string> decode_unpadded(std::string_view text, const std::array<std::uint8_t, 256>& table) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : text) {
        const std::uint8_t value = table[static_cast<unsigned char>(c)];
        if (value == invalid) return std::nullopt;
        bits = (bits << 6 | value) & 0xffffff;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out += static_cast<char>(bits >> bit_count & 0xff);
        }
    }
    if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) { return decode_unpadded(text, url_table); }

std::string base64url_encode(std::string_view bytes) { return encode(bytes, url_alphabet, false); }

std::optional<std::string> base64_decode(std::string_view text) {
    // Complete padding only: "=" or "==" ending a text whose length is a multiple of 4.
    if (!text.empty() && text.back() == '=') {
        if (text.size() % 4 != 0) return std::nullopt;
        text.remove_suffix(1);
        if (!text.empty() && text.back() == '=') text.remove_suffix(1);
        if (text.size() % 4 == 0) return std::nullopt;  // padding where no partial group needs it
    }
    return decode_unpadded(text, standard_table);
}

std::string base64_encode(std::string_view bytes) { return encode(bytes, standard_alphabet, true); }

}  // namespace progressd::auth
