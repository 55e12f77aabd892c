// Skilljar times and signed ids (handlers/compat/skilljar/skilljar_mapping.hpp): RFC 3339 parsing and writing,
// and the HMAC-signed lesson-progress ids and progress tokens.

#include "handlers/compat/skilljar/skilljar_mapping.hpp"

#include "handlers/auth/base64url.hpp"
#include "handlers/auth/hmac_sha256.hpp"
#include "handlers/services.hpp"
#include "store/ids.hpp"

#include <boost/json/string.hpp>

#include <openssl/crypto.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace progressd::skilljar {
namespace {

using auth::hmac_sha256;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, unsigned& out) {
    if (at + count > text.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

std::string_view kind_prefix(token_kind kind) { return kind == token_kind::lesson_progress ? "lp" : "pt"; }

}  // namespace

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(text, 0, 4, year) || text.size() < 16 || text[4] != '-' || !digits(text, 5, 2, month) ||
        text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute)) {
        return std::nullopt;
    }
    std::size_t at = 16;
    if (at < text.size() && text[at] == ':') {
        if (!digits(text, at + 1, 2, second)) return std::nullopt;
        at += 3;
    }
    std::int64_t millis = 0;
    if (at < text.size() && text[at] == '.') {
        ++at;
        std::size_t count = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (count < 3) millis = millis * 10 + (text[at] - '0');
            ++count;
            ++at;
        }
        if (count == 0 || count > 9) return std::nullopt;
        for (std::size_t i = count; i < 3; ++i) millis *= 10;
    }
    std::int64_t offset_minutes = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        unsigned oh = 0, om = 0;
        if (!digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' || !digits(text, at + 4, 2, om) ||
            oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = (text[at] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 60 + om);
        at += 6;
    }
    // A time without an offset is taken as UTC (Skilljar's examples all carry one).
    if (at != text.size()) return std::nullopt;
    static constexpr std::array<unsigned, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                                 offset_minutes * 60;
    if (seconds < 0) return std::nullopt;
    return seconds * 1000 + millis;
}

boost::json::value iso8601_or_null(std::int64_t ms) {
    if (ms <= 0) return nullptr;
    const std::int64_t days = ms / 86'400'000;
    const std::int64_t in_day = ms % 86'400'000;
    // civil_from_days
    const std::int64_t z = days + 719468;
    const std::int64_t era = z / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    char text[40];
    std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lld000Z", static_cast<long long>(y), m, d,
                  static_cast<long long>(in_day / 3'600'000), static_cast<long long>(in_day / 60'000 % 60),
                  static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
    return boost::json::string(text);
}

std::string derive_token_key(std::string_view secret) { return hmac_sha256(secret, "progressd skilljar token key v1"); }

std::string mint_token(token_kind kind, const token_subject& subject, std::string_view key) {
    std::string body(kind_prefix(kind));
    for (const auto* part : {&subject.user_id, &subject.course_id, &subject.lesson_id}) {
        body += '.';
        body += auth::base64url_encode(*part);
    }
    const std::string mac = hmac_sha256(key, body);
    return body + "." + auth::base64url_encode(mac);
}

std::optional<token_subject> verify_token(token_kind kind, std::string_view token, std::string_view key) {
    const auto last_dot = token.rfind('.');
    if (last_dot == std::string_view::npos) return std::nullopt;
    const std::string_view body = token.substr(0, last_dot);
    const auto mac = auth::base64url_decode(token.substr(last_dot + 1));
    const std::string expected = hmac_sha256(key, body);
    if (!mac || mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
        return std::nullopt;
    }
    // Signed, so what follows only rejects tokens minted for another kind or by a buggy minter.
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto dot = body.find('.', start);
        parts.push_back(body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (parts.size() != 4 || parts[0] != kind_prefix(kind)) return std::nullopt;
    token_subject subject;
    std::string* fields[] = {&subject.user_id, &subject.course_id, &subject.lesson_id};
    for (std::size_t i = 0; i < 3; ++i) {
        auto decoded = auth::base64url_decode(parts[i + 1]);
        if (!decoded || !store::is_valid_id(*decoded)) return std::nullopt;
        *fields[i] = std::move(*decoded);
    }
    return subject;
}

}  // namespace progressd::skilljar

namespace progressd {

std::string derive_progress_token_key(std::string_view hs256_secret) { return skilljar::derive_token_key(hs256_secret); }

}  // namespace progressd
