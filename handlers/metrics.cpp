#include "handlers/metrics.hpp"

namespace progressd {

thread_metrics::thread_metrics(std::size_t route_count)
    : routes_(new route_counters[route_count]), route_count_(route_count) {}

void thread_metrics::record(std::size_t route, unsigned status, double seconds) {
    if (route >= route_count_) return;
    auto& counters = routes_[route];
    std::size_t slot = counted_statuses.size() - 1;
    for (std::size_t i = 0; i + 1 < counted_statuses.size(); ++i) {
        if (counted_statuses[i] == status) {
            slot = i;
            break;
        }
    }
    bump(counters.by_status[slot]);
    std::size_t bucket_index = bucket_bounds.size();
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
        if (seconds <= bucket_bounds[i]) {
            bucket_index = i;
            break;
        }
    }
    bump(counters.buckets[bucket_index]);
    bump(counters.duration_nanos, static_cast<std::uint64_t>(seconds * 1e9));
}

std::uint64_t thread_metrics::bucket(std::size_t route, std::size_t index) const {
    return routes_[route].buckets[index].load(std::memory_order_relaxed);
}

double thread_metrics::duration_sum(std::size_t route) const {
    return static_cast<double>(routes_[route].duration_nanos.load(std::memory_order_relaxed)) / 1e9;
}

}  // namespace progressd
