#pragma once
// What the membership suites share: a migrated database, and simulated nodes, each with its own
// connection (as a real node's membership thread has) and lease keeper.

#include "pg_fixture.hpp"
#include "store/partition.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/node_registry.hpp"
#include "store/postgres/partition_leases.hpp"
#include "store/postgres/schema.hpp"
#include "store/rendezvous.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace progressd::testing {

// Short, so that waiting out a lease keeps the suite quick.
inline constexpr std::chrono::milliseconds test_lease{300};

inline store::connection connect_to(const std::string& conninfo) {
    auto opened = store::connection::open(conninfo);
    BOOST_REQUIRE_MESSAGE(opened.ok(), "connect: " << (opened.ok() ? "" : opened.error().message));
    return std::move(opened).value();
}

struct test_node {
    std::string id;
    store::connection conn;
    store::lease_keeper keeper;
    bool flush_succeeds = true;
    std::vector<std::vector<store::partition_claim>> flushes;  // what each flush was asked for

    test_node(std::string node_id, const std::string& conninfo, std::chrono::milliseconds lease = test_lease)
        : id(node_id), conn(connect_to(conninfo)), keeper(std::move(node_id), lease) {}

    void beat() {
        const auto status = store::heartbeat(conn, id, "http://" + id + ".test");
        BOOST_REQUIRE_MESSAGE(status.ok(), "heartbeat: " << (status.ok() ? "" : status.error().message));
    }

    store::reconcile_report step() {
        auto report = keeper.reconcile(conn, [this](std::span<const store::partition_claim> claims) {
            flushes.emplace_back(claims.begin(), claims.end());
            return flush_succeeds;
        });
        BOOST_REQUIRE_MESSAGE(report.ok(), id << " reconcile: " << (report.ok() ? "" : report.error->message));
        return report;
    }

    // A heartbeat and a step: one period of a node's membership loop.
    store::reconcile_report period() {
        beat();
        return step();
    }
};

struct owner_row {
    std::optional<std::string> owner;
    std::int64_t epoch = 0;
};

// The `partitions` table, indexed by partition.
inline std::vector<owner_row> owners(store::connection& conn) {
    auto rows = conn.exec("SELECT partition, owner, epoch::text FROM partitions ORDER BY partition");
    BOOST_REQUIRE(rows.ok());
    std::vector<owner_row> out(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        const auto partition = std::stoul(std::string(*rows->text(i, 0)));
        if (const auto owner = rows->text(i, 1)) out.at(partition).owner.emplace(*owner);
        out.at(partition).epoch = std::stoll(std::string(*rows->text(i, 2)));
    }
    return out;
}

inline std::vector<std::uint32_t> partitions_of(const std::vector<store::partition_claim>& claims) {
    std::vector<std::uint32_t> out;
    for (const auto& claim : claims) out.push_back(claim.partition);
    return out;
}

// The partitions rendezvous hashing gives `node` among `live`.
inline std::vector<std::uint32_t> share_of(const std::string& node, std::vector<std::string> live) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t p = 0; p < store::partition_count; ++p) {
        if (live.at(store::rendezvous_winner(p, live)) == node) out.push_back(p);
    }
    return out;
}

inline std::vector<std::uint32_t> owned_by(store::connection& conn, const std::string& node) {
    std::vector<std::uint32_t> out;
    const auto rows = owners(conn);
    for (std::uint32_t p = 0; p < rows.size(); ++p) {
        if (rows[p].owner == node) out.push_back(p);
    }
    return out;
}

// The table and the keepers agree: each node holds exactly what the table says it owns, at the
// table's epochs, and the nodes' sets are disjoint and cover every partition.
inline void require_consistent(store::connection& conn, std::initializer_list<test_node*> nodes) {
    const auto rows = owners(conn);
    std::vector<int> holders(store::partition_count, 0);
    for (const auto* node : nodes) {
        for (const auto& claim : node->keeper.claims()) {
            ++holders[claim.partition];
            BOOST_TEST_REQUIRE(rows[claim.partition].owner.value_or("") == node->id);
            BOOST_TEST_REQUIRE(rows[claim.partition].epoch == claim.epoch);
        }
        BOOST_TEST_REQUIRE(partitions_of(node->keeper.claims()) == owned_by(conn, node->id));
    }
    BOOST_TEST_REQUIRE(std::all_of(holders.begin(), holders.end(), [](int count) { return count == 1; }));
}

// A migrated, empty database.
struct membership_db {
    std::string conninfo;
    store::connection conn = migrated(conninfo);

    static store::connection migrated(std::string& conninfo) {
        auto conn = fresh_database(&conninfo);
        const auto version = store::migrate(conn);
        BOOST_REQUIRE_MESSAGE(version.ok(), "migrate: " << (version.ok() ? "" : version.error().message));
        return conn;
    }
};

}  // namespace progressd::testing
