#include "store/postgres/outbox_partitions.hpp"

#include "store/codec/event_codec.hpp"
#include "store/postgres/pg_binary.hpp"
#include "store/postgres/row_batching.hpp"

#include <utility>

namespace progressd::store {
namespace {

constexpr statement load_statement{"progressd_load_outbox_partitions", R"sql(
SELECT delivery_key, payload FROM outbox WHERE partition = ANY($1::int4[])
ORDER BY next_attempt_at, delivery_key COLLATE "C"
)sql"};

}  // namespace

pg_outcome<std::vector<loaded_delivery>> load_outbox_partitions(connection& conn, std::span<const std::uint32_t> partitions) {
    if (partitions.empty()) return std::vector<loaded_delivery>{};
    pg_binary::array_builder array{pg_binary::int4_oid};
    for (const std::uint32_t partition : partitions) array.add_int(static_cast<std::int32_t>(partition));
    query_params params;
    params.add_binary(array.finish());
    return row_batching::load_rows<loaded_delivery>(
        conn, load_statement, params, [](const query_result& result, int i) -> pg_outcome<loaded_delivery> {
            const std::string_view key = result.bytes(i, 0);
            auto value = decode_delivery(result.bytes(i, 1));
            if (!value) return row_batching::malformed_row("outbox", key, "payload");
            return loaded_delivery{std::string(key), std::move(*value)};
        });
}

outbox_partitions::outbox_partitions(event_outbox& outbox, std::string conninfo, const logger& log)
    : outbox_(outbox), conninfo_(std::move(conninfo)), log_(log) {}

bool outbox_partitions::changed(std::span<const partition_claim> acquired, std::span<const partition_claim> gone) {
    for (const auto& claim : acquired) unloaded_.insert(claim.partition);
    std::vector<std::uint32_t> dropped;
    for (const auto& claim : gone) {
        unloaded_.erase(claim.partition);
        dropped.push_back(claim.partition);
    }
    const bool loaded = load_unloaded();
    // After the loads: a partition both acquired and lost in one step ends up forgotten.
    count(&outbox_partitions_stats::dropped, outbox_.drop_partitions(dropped));
    std::lock_guard lock(mutex_);
    stats_.unloaded = unloaded_.size();
    return loaded;
}

bool outbox_partitions::catch_up() {
    const bool loaded = load_unloaded();
    std::lock_guard lock(mutex_);
    stats_.unloaded = unloaded_.size();
    return loaded;
}

outbox_partitions_stats outbox_partitions::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void outbox_partitions::count(std::uint64_t outbox_partitions_stats::*counter, std::uint64_t by) {
    std::lock_guard lock(mutex_);
    stats_.*counter += by;
}

bool outbox_partitions::load_unloaded() {
    if (unloaded_.empty()) return true;
    if (!conn_) {
        auto opened = connection::open(conninfo_);
        if (!opened) {
            count(&outbox_partitions_stats::failures);
            log_.warn("outbox_load_failed", {{"error", std::string_view(opened.error().message)},
                                             {"partitions", std::int64_t(unloaded_.size())}});
            return false;
        }
        conn_.emplace(std::move(opened).value());
    }
    const std::vector<std::uint32_t> partitions(unloaded_.begin(), unloaded_.end());
    auto rows = load_outbox_partitions(*conn_, partitions);
    if (!rows) {
        count(&outbox_partitions_stats::failures);
        if (!conn_->healthy() || rows.error().code == pg_errc::connection_failed) conn_.reset();
        log_.warn("outbox_load_failed", {{"error", std::string_view(rows.error().message)},
                                         {"partitions", std::int64_t(partitions.size())}});
        return false;
    }
    std::vector<std::pair<std::string, delivery>> deliveries;
    deliveries.reserve(rows->size());
    for (auto& row : *rows) deliveries.emplace_back(std::move(row.key), std::move(row.value));
    count(&outbox_partitions_stats::loaded, outbox_.adopt(std::move(deliveries)));
    unloaded_.clear();
    return true;
}

}  // namespace progressd::store
