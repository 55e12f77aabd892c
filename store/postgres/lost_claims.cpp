#include "store/postgres/lost_claims.hpp"

namespace progressd::store {
namespace {

constexpr statement lost_statement{"progressd_lost_claims", R"sql(
SELECT c.partition, c.epoch FROM unnest($1::int4[], $2::int8[]) AS c(partition, epoch)
WHERE NOT EXISTS (SELECT 1 FROM partitions p
                  WHERE p.partition = c.partition AND p.epoch = c.epoch AND p.owner = $3::text)
ORDER BY c.partition
)sql"};

}  // namespace

pg_outcome<std::vector<partition_claim>> lost_claims(connection& conn, std::string_view owner,
                                                     std::span<const partition_claim> claims) {
    auto rows = conn.run(lost_statement, claim_params(owner, claims), result_format::binary);
    if (!rows) return rows.error();
    std::vector<partition_claim> lost;
    for (int i = 0; i < rows->rows(); ++i) {
        const auto partition = rows->int32(i, 0);
        const auto epoch = rows->int64(i, 1);
        if (partition && epoch) lost.push_back({static_cast<std::uint32_t>(*partition), *epoch});
    }
    return lost;
}

}  // namespace progressd::store
