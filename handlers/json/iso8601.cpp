#include "handlers/json/iso8601.hpp"

#include <boost/json/string.hpp>

#include <array>
#include <cstdio>
#include <string>

namespace progressd {
namespace {

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
        if (!digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
            !digits(text, at + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = (text[at] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 60 + om);
        at += 6;
    }
    // A time without an offset is taken as UTC.
    if (at != text.size()) return std::nullopt;
    static constexpr std::array<unsigned, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    const std::int64_t seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    if (seconds < 0) return std::nullopt;
    return seconds * 1000 + millis;
}

boost::json::value iso8601_or_null(std::int64_t ms, iso8601_precision precision) {
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
    int size = std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m,
                             d, static_cast<long long>(in_day / 3'600'000),
                             static_cast<long long>(in_day / 60'000 % 60), static_cast<long long>(in_day / 1000 % 60));
    if (precision == iso8601_precision::microseconds) {
        size += std::snprintf(text + size, sizeof text - static_cast<std::size_t>(size), ".%03lld000",
                              static_cast<long long>(in_day % 1000));
    }
    text[size++] = 'Z';
    return boost::json::string(std::string_view(text, static_cast<std::size_t>(size)));
}

}  // namespace progressd
