#pragma once
// Request counters and latency histograms, one set per I/O thread, summed when /metrics is
// scraped. Each counter has one writer (its thread), so an increment is a relaxed load and store:
// no lock, no locked instruction, no shared cache line on the hot path. The scraper reads with
// relaxed loads; a scrape may miss an increment in flight, never corrupt one.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace progressd {

class thread_metrics {
public:
    // Latency bucket upper bounds, seconds (Prometheus `le` labels).
    static constexpr std::array<double, 12> bucket_bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                          0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
    // Statuses counted individually; anything else lands in the last slot.
    static constexpr std::array<unsigned, 17> counted_statuses{200, 201, 204, 400, 401, 403, 404, 405, 408,
                                                                 413, 415, 422, 429, 431, 500, 503, 0};

    // Cluster mode: what a node did with a request that had a user (server/cluster_gate.hpp).
    enum class cluster_path : std::uint8_t { here, loaded, forwarded, forward_failed, refused };
    static constexpr std::size_t cluster_path_count = 5;

    explicit thread_metrics(std::size_t route_count);

    void record(std::size_t route, unsigned status, double seconds);
    void connection_opened() { bump(connections_opened_); }
    void connection_closed() { bump(connections_closed_); }
    void cluster_request(cluster_path path) { bump(cluster_paths_[static_cast<std::size_t>(path)]); }

    std::uint64_t requests(std::size_t route, std::size_t status_slot) const { return read(route, status_slot); }
    std::uint64_t bucket(std::size_t route, std::size_t index) const;  // index == bounds size: +Inf
    double duration_sum(std::size_t route) const;
    std::uint64_t connections_opened() const { return connections_opened_.load(std::memory_order_relaxed); }
    std::uint64_t connections_closed() const { return connections_closed_.load(std::memory_order_relaxed); }
    std::uint64_t cluster_requests(cluster_path path) const {
        return cluster_paths_[static_cast<std::size_t>(path)].load(std::memory_order_relaxed);
    }

private:
    struct route_counters {
        std::array<std::atomic<std::uint64_t>, counted_statuses.size()> by_status{};
        std::array<std::atomic<std::uint64_t>, bucket_bounds.size() + 1> buckets{};
        std::atomic<std::uint64_t> duration_nanos{0};
    };
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    std::uint64_t read(std::size_t route, std::size_t slot) const {
        return routes_[route].by_status[slot].load(std::memory_order_relaxed);
    }

    std::unique_ptr<route_counters[]> routes_;
    std::size_t route_count_;
    alignas(64) std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> connections_closed_{0};
    std::array<std::atomic<std::uint64_t>, cluster_path_count> cluster_paths_{};
};

}  // namespace progressd
