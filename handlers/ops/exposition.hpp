#pragma once
// Prometheus text exposition (format 0.0.4) as /metrics writes it: each family's HELP and TYPE
// once, then its samples. Names get the `progressd_` prefix, except the `process_` families,
// whose standard names every exporter shares (dashboards and alerts are written against them).
//
// Thread-safety: one per scrape, on the scraping thread.

#include "handlers/json/json_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace progressd {

class exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        append_name(name);
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        append_name(name);
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        append_name(name);
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        append_value(value);
    }
    // One histogram's series from per-bucket (not cumulative) counts, the last one +Inf;
    // `bounds` are the upper bounds in seconds (doubles). `labels` may be empty. Written straight
    // into the text: a scrape holds hundreds of bucket lines, none worth a string of its own.
    template <typename Counts, typename Bounds>
    void histogram(std::string_view name, std::string_view labels, const Counts& counts, const Bounds& bounds,
                   double sum) {
        std::uint64_t cumulative = 0;
        for (std::size_t index = 0; index < counts.size(); ++index) {
            cumulative += counts[index];
            append_name(name);
            out_ += "_bucket{";
            if (!labels.empty()) {
                out_ += labels;
                out_ += ',';
            }
            out_ += "le=\"";
            if (index < bounds.size()) {
                // %g as the client libraries write bounds: 0.0001, never 1e-04. The label is a
                // string to Prometheus: its text must not change between versions.
                char bound[32];
                std::snprintf(bound, sizeof bound, "%g", static_cast<double>(bounds[index]));
                out_ += bound;
            } else {
                out_ += "+Inf";
            }
            out_ += "\"}";
            append_value(static_cast<double>(cumulative));
        }
        for (const auto& [suffix, value] : {std::pair<std::string_view, double>{"_sum", sum},
                                            std::pair<std::string_view, double>{"_count", static_cast<double>(cumulative)}}) {
            append_name(name);
            out_ += suffix;
            if (!labels.empty()) {
                out_ += '{';
                out_ += labels;
                out_ += '}';
            }
            append_value(value);
        }
    }
    std::string take() { return std::move(out_); }

private:
    // " value\n", the value in its shortest exact form: 0.000799, not 0.00079900000000000001.
    void append_value(double value) {
        out_ += ' ';
        if (std::isfinite(value)) {
            append_json_number(out_, value);
        } else {
            out_ += std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
        }
        out_ += '\n';
    }
    void append_name(std::string_view name) {
        if (!name.starts_with("process_")) out_ += "progressd_";
        out_ += name;
    }

    std::string out_;
};

// A label value as the text format wants it: backslash, double quote and newline escaped.
inline std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace progressd
