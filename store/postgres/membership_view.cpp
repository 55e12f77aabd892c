#include "store/postgres/membership_view.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

// Owners that are not live are left out: forwarding to them could only time out, and their
// partitions move once their lease has run out.
constexpr statement owners_statement{"progressd_partition_owners", R"sql(
SELECT p.partition, p.owner, n.advertise_url
FROM partitions p JOIN nodes n ON n.node_id = p.owner
WHERE n.heartbeat_at > now() - $1::int8 * interval '1 millisecond'
ORDER BY p.partition
)sql"};

}  // namespace

pg_outcome<std::vector<owned_partition>> read_owners(connection& conn, std::chrono::milliseconds lease) {
    query_params params;
    params.add_int64(lease.count());
    auto rows = conn.run(owners_statement, params, result_format::binary);
    if (!rows) return rows.error();
    std::vector<owned_partition> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        const auto partition = rows->int32(i, 0);
        if (!partition || *partition < 0 || static_cast<std::uint32_t>(*partition) >= partition_count) {
            return pg_error{pg_errc::malformed_row, {}, "a row of partitions that does not decode"};
        }
        out.push_back({static_cast<std::uint32_t>(*partition), std::string(rows->bytes(i, 1)),
                       std::string(rows->bytes(i, 2))});
    }
    return out;
}

membership_view make_view(const node_address& self, std::span<const partition_claim> claims,
                          std::span<const owned_partition> others) {
    membership_view view;
    view.nodes.push_back(self);
    view.claims.assign(claims.begin(), claims.end());
    for (const auto& claim : claims) {
        if (claim.partition >= partition_count) continue;
        view.epoch[claim.partition] = claim.epoch;
        view.owner[claim.partition] = 0;
    }
    for (const auto& row : others) {
        if (row.partition >= partition_count || row.owner == self.node_id || view.owns(row.partition)) continue;
        // A cluster has a handful of nodes: a linear search beats a map here.
        auto node = std::find_if(view.nodes.begin(), view.nodes.end(),
                                 [&](const node_address& known) { return known.node_id == row.owner; });
        if (node == view.nodes.end()) {
            if (view.nodes.size() >= membership_view::no_owner) continue;  // beyond any real cluster
            node = view.nodes.insert(view.nodes.end(), {row.owner, row.advertise_url});
        }
        view.owner[row.partition] = static_cast<std::uint16_t>(node - view.nodes.begin());
    }
    return view;
}

}  // namespace progressd::store
