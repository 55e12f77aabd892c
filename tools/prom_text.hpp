#pragma once
// A reader of the Prometheus text exposition format (0.0.4), enough for progressctl stats to
// read a progressd's /metrics: sample lines with labels and values; comments, HELP and TYPE
// lines skipped; timestamps ignored. And histogram_quantile as PromQL computes it, for p99 from
// the latency buckets. Header-only: the CLI and its unit test use it.
//
// Thread-safety: pure functions.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::tools {

struct prom_sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels{};  // in the order written
    double value = 0;

    // The label's value, or nullopt when the sample has no such label.
    std::optional<std::string_view> label(std::string_view key) const {
        for (const auto& [k, v] : labels) {
            if (k == key) return std::string_view(v);
        }
        return std::nullopt;
    }
};

struct prom_parse_result {
    std::vector<prom_sample> samples{};
    std::string error{};  // empty when every line parsed; else "line N: why"
};

namespace prom_detail {

inline bool name_char(char c, bool first) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return letter || (!first && c >= '0' && c <= '9');
}

inline std::optional<double> parse_value(std::string_view text) {
    if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
    if (text == "-Inf") return -std::numeric_limits<double>::infinity();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// One sample line into `out`; false (with `why`) when it is not one.
inline bool parse_line(std::string_view line, prom_sample& out, std::string& why) {
    std::size_t at = 0;
    while (at < line.size() && name_char(line[at], at == 0)) ++at;
    if (at == 0) return why = "no metric name", false;
    out.name.assign(line.substr(0, at));
    if (at < line.size() && line[at] == '{') {
        ++at;
        while (true) {
            while (at < line.size() && line[at] == ' ') ++at;
            if (at < line.size() && line[at] == '}') {
                ++at;
                break;
            }
            const std::size_t key_start = at;
            while (at < line.size() && name_char(line[at], at == key_start)) ++at;
            if (at == key_start || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"') {
                return why = "bad label", false;
            }
            std::string key(line.substr(key_start, at - key_start));
            at += 2;
            std::string value;
            while (at < line.size() && line[at] != '"') {
                if (line[at] == '\\' && at + 1 < line.size()) {
                    ++at;
                    value += line[at] == 'n' ? '\n' : line[at];
                } else {
                    value += line[at];
                }
                ++at;
            }
            if (at >= line.size()) return why = "unterminated label value", false;
            ++at;
            out.labels.emplace_back(std::move(key), std::move(value));
            if (at < line.size() && line[at] == ',') ++at;
        }
    }
    if (at >= line.size() || (line[at] != ' ' && line[at] != '\t')) return why = "no value", false;
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
    std::size_t end = at;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    const auto value = parse_value(line.substr(at, end - at));
    if (!value) return why = "bad value", false;
    out.value = *value;
    return true;
}

}  // namespace prom_detail

inline prom_parse_result parse_prom_text(std::string_view text) {
    prom_parse_result result;
    std::size_t number = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        prom_sample sample;
        std::string why;
        if (!prom_detail::parse_line(line, sample, why)) {
            result.error = "line " + std::to_string(number) + ": " + why;
            return result;
        }
        result.samples.push_back(std::move(sample));
    }
    return result;
}

// One histogram bucket: upper bound and cumulative count.
struct prom_bucket {
    double le = 0;
    double count = 0;
};

// The q-quantile (0..1) of cumulative buckets, as PromQL's histogram_quantile: linear
// interpolation inside the bucket that holds the rank, the lowest bucket starting at 0; a rank
// in the +Inf bucket gives the highest finite bound. nullopt when there are no observations.
inline std::optional<double> histogram_quantile(double q, std::vector<prom_bucket> buckets) {
    std::sort(buckets.begin(), buckets.end(), [](const prom_bucket& a, const prom_bucket& b) { return a.le < b.le; });
    if (buckets.empty() || !std::isinf(buckets.back().le)) return std::nullopt;
    const double total = buckets.back().count;
    if (!(total > 0)) return std::nullopt;
    const double rank = q * total;
    double lower_bound = 0;
    double lower_count = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        const auto& bucket = buckets[i];
        if (bucket.count >= rank) {
            if (std::isinf(bucket.le)) return i == 0 ? std::nullopt : std::optional<double>(buckets[i - 1].le);
            const double in_bucket = bucket.count - lower_count;
            if (in_bucket <= 0) return bucket.le;
            return lower_bound + (bucket.le - lower_bound) * (rank - lower_count) / in_bucket;
        }
        lower_bound = bucket.le;
        lower_count = bucket.count;
    }
    return std::nullopt;
}

}  // namespace progressd::tools
