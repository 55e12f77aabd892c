#include "store/postgres/fencing.hpp"

#include "store/postgres/pg_binary.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace progressd::store {
namespace {

// Rows come back, and are locked, in partition order (the lock is taken above the sort).
constexpr statement claim_statement{"progressd_claim_partitions", R"sql(
SELECT p.partition, p.epoch FROM partitions p
JOIN unnest($1::int4[], $2::int8[]) AS c(partition, epoch) ON p.partition = c.partition AND p.epoch = c.epoch
WHERE p.owner = $3::text
ORDER BY p.partition
FOR SHARE OF p
)sql"};

pg_error fenced(std::string_view owner, const std::vector<partition_claim>& lost) {
    std::string message = "no longer the owner ";
    message.append(owner).append(" of partition");
    for (const auto& claim : lost) {
        message.append(" ").append(std::to_string(claim.partition)).append("@").append(std::to_string(claim.epoch));
    }
    return pg_error{pg_errc::fenced, {}, std::move(message)};
}

}  // namespace

query_params claim_params(std::string_view owner, std::span<const partition_claim> claims) {
    pg_binary::array_builder partitions(pg_binary::int4_oid);
    pg_binary::array_builder epochs(pg_binary::int8_oid);
    for (const auto& claim : claims) {
        partitions.add_int(static_cast<std::int32_t>(claim.partition));
        epochs.add_int(claim.epoch);
    }
    query_params params;
    params.add_binary(partitions.finish());
    params.add_binary(epochs.finish());
    params.add_text(owner);
    return params;
}

pg_status fenced_commit(transaction& txn, std::string_view owner, std::span<const partition_claim> claims) {
    if (!txn.open()) return pg_error{pg_errc::statement_failed, {}, "fenced commit of a finished transaction"};
    if (!claims.empty()) {
        std::vector<partition_claim> wanted(claims.begin(), claims.end());
        const auto by_partition = [](const partition_claim& a, const partition_claim& b) {
            return a.partition != b.partition ? a.partition < b.partition : a.epoch < b.epoch;
        };
        std::sort(wanted.begin(), wanted.end(), by_partition);
        wanted.erase(std::unique(wanted.begin(), wanted.end(),
                                 [](const auto& a, const auto& b) { return a.partition == b.partition && a.epoch == b.epoch; }),
                     wanted.end());

        auto held = txn.conn().run(claim_statement, claim_params(owner, wanted), result_format::binary);
        if (!held) {
            txn.rollback();
            return held.error();
        }
        // Each row is a partition still ours at that epoch; a claim without its row was lost (a
        // partition claimed at two epochs matches at most one of them, so the claim fails).
        std::vector<partition_claim> still_ours;
        for (int i = 0; i < held->rows(); ++i) {
            const auto partition = held->int32(i, 0);
            const auto epoch = held->int64(i, 1);
            if (partition && epoch) still_ours.push_back({static_cast<std::uint32_t>(*partition), *epoch});
        }
        std::sort(still_ours.begin(), still_ours.end(), by_partition);
        std::vector<partition_claim> lost;
        for (const auto& claim : wanted) {
            if (!std::binary_search(still_ours.begin(), still_ours.end(), claim, by_partition)) lost.push_back(claim);
        }
        if (!lost.empty()) {
            txn.rollback();
            return fenced(owner, lost);
        }
    }
    return txn.commit();
}

}  // namespace progressd::store
