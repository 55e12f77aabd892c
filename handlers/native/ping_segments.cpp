#include "handlers/native/ping_segments.hpp"

#include <cmath>

namespace progressd {
namespace {

constexpr std::size_t max_segments = 100;
constexpr double max_seconds = 1e7;

std::optional<double> seconds(const boost::json::value& value) {
    if (!value.is_number()) return std::nullopt;
    const double number = value.to_number<double>();
    if (!std::isfinite(number) || number < 0 || number > max_seconds) return std::nullopt;
    return number;
}

}  // namespace

void read_segments(field_reader& fields, store::ping& out) {
    const auto* value = fields.raw("segments");
    if (!value) return;
    if (!value->is_array() || value->as_array().size() > max_segments) {
        fields.fail("segments", "must be an array of at most 100 [from_seconds, to_seconds] pairs");
        return;
    }
    const auto& segments = value->as_array();
    out.segments.reserve(segments.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto* pair = segments[i].if_array();
        std::optional<double> from;
        std::optional<double> to;
        if (pair && pair->size() == 2) {
            from = seconds((*pair)[0]);
            to = seconds((*pair)[1]);
        }
        if (!from || !to || *from > *to) {
            fields.fail("segments[" + std::to_string(i) + "]", "must be [from, to] with 0 <= from <= to <= 1e7 seconds");
            continue;
        }
        out.segments.emplace_back(*from, *to);
    }
}

}  // namespace progressd
