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

// Decodes unpadded text into `out`, which has room for base64_decoded_bytes(text.size()); returns how many
// bytes it wrote. A final group of 2 or 3 characters carries 1 or 2 bytes; its unused low bits must
// be zero (canonical form), and a lone final character carries no whole byte at all.
std::optional<std::size_t> decode_unpadded(std::string_view text, const std::array<std::uint8_t, 256>& table, char* out) {
    if (text.size() % 4 == 1) return std::nullopt;
    const auto value = [&](std::size_t i) { return table[static_cast<unsigned char>(text[i])]; };
    char* const begin = out;
    std::size_t i = 0;
    for (; i + 4 <= text.size(); i += 4) {
        const std::uint8_t a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
        if (((a | b | c | d) & 0xc0) != 0) return std::nullopt;  // `invalid` has the top bits set, digits never
        const std::uint32_t group = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | std::uint32_t{c} << 6 | d;
        *out++ = static_cast<char>(group >> 16);
        *out++ = static_cast<char>(group >> 8 & 0xff);
        *out++ = static_cast<char>(group & 0xff);
    }
    const std::size_t rest = text.size() - i;  // 0, 2 or 3
    if (rest != 0) {
        const std::uint8_t a = value(i), b = value(i + 1), c = rest == 3 ? value(i + 2) : 0;
        if (((a | b | c) & 0xc0) != 0) return std::nullopt;
        const std::uint32_t group = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | std::uint32_t{c} << 6;
        if ((group & (rest == 2 ? 0xffff : 0xff)) != 0) return std::nullopt;  // unused bits
        *out++ = static_cast<char>(group >> 16);
        if (rest == 3) *out++ = static_cast<char>(group >> 8 & 0xff);
    }
    return static_cast<std::size_t>(out - begin);
}

std::optional<std::string> decode_to_string(std::string_view text, const std::array<std::uint8_t, 256>& table) {
    std::string out(base64_decoded_bytes(text.size()), '\0');
    const auto length = decode_unpadded(text, table, out.data());
    if (!length) return std::nullopt;
    out.resize(*length);
    return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) { return decode_to_string(text, url_table); }

std::optional<std::string_view> base64url_decode(std::string_view text, std::span<char> out) {
    if (out.size() < base64_decoded_bytes(text.size())) return std::nullopt;
    const auto length = decode_unpadded(text, url_table, out.data());
    if (!length) return std::nullopt;
    return std::string_view(out.data(), *length);
}

std::string base64url_encode(std::string_view bytes) { return encode(bytes, url_alphabet, false); }

std::optional<std::string> base64_decode(std::string_view text) {
    // Complete padding only: "=" or "==" ending a text whose length is a multiple of 4.
    if (!text.empty() && text.back() == '=') {
        if (text.size() % 4 != 0) return std::nullopt;
        text.remove_suffix(1);
        if (!text.empty() && text.back() == '=') text.remove_suffix(1);
        if (text.size() % 4 == 0) return std::nullopt;  // padding where no partial group needs it
    }
    return decode_to_string(text, standard_table);
}

std::string base64_encode(std::string_view bytes) { return encode(bytes, standard_alphabet, true); }

}  // namespace progressd::auth
