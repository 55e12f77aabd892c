#pragma once
// What the write-behind persister suites share: a migrated database, a progress store, the
// claims a lease keeper would publish (set by the test, with the `partitions` rows to match), and
// reading back from PostgreSQL what the persister wrote.

#include "pg_fixture.hpp"
#include "row_helpers.hpp"
#include "store/partition.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_persister.hpp"
#include "store/postgres/schema.hpp"
#include "store/progress_store.hpp"
#include "tests/unit/test_pings.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {

inline constexpr std::string_view this_node = "node-a";

inline store::connection open_or_fail(const std::string& conninfo) {
    auto opened = store::connection::open(conninfo);
    BOOST_REQUIRE_MESSAGE(opened.ok(), "connect: " << (opened.ok() ? "" : opened.error().message));
    return std::move(opened).value();
}

// Polls `done` every few milliseconds for up to `timeout`; whether it became true.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

struct persister_db {
    std::string conninfo;
    store::connection conn;  // the test's own: checks and ownership changes
    store::progress_store records{4, {}};
    logger quiet{log_level::error};
    std::mutex claims_mutex;
    std::vector<store::partition_claim> claims;  // what the lease keeper publishes

    persister_db() : persister_db(shared_pg().create_database()) {}
    explicit persister_db(std::string database) : conninfo(std::move(database)), conn(open_or_fail(conninfo)) {
        const auto version = store::migrate(conn);
        BOOST_REQUIRE_MESSAGE(version.ok(), "migrate: " << (version.ok() ? "" : version.error().message));
    }

    // This node owns the user's partition at `epoch`, in the table and in the published claims.
    store::partition_claim own(std::string_view user, std::int64_t epoch = 1) {
        const store::partition_claim claim{store::partition_of(user), epoch};
        set_owner(claim.partition, std::string(this_node), epoch);
        std::lock_guard lock(claims_mutex);
        std::erase_if(claims, [&](const auto& c) { return c.partition == claim.partition; });
        claims.push_back(claim);
        return claim;
    }

    // Another node takes the partition over (what a takeover commits), behind the claims' back.
    void set_owner(std::uint32_t partition, const std::string& owner, std::int64_t epoch) {
        const auto sql = "UPDATE partitions SET owner = '" + owner + "', epoch = " + std::to_string(epoch) +
                         ", lease_until = now() + interval '5 seconds' WHERE partition = " + std::to_string(partition);
        BOOST_REQUIRE(conn.exec(sql).ok());
    }

    std::unique_ptr<store::pg_persister> make_persister(store::pg_persister_options options) {
        return std::make_unique<store::pg_persister>(
            records, conninfo, std::string(this_node),
            [this] {
                std::lock_guard lock(claims_mutex);
                return claims;
            },
            options, quiet);
    }

    // A ping of `user` playing "lesson" up to `position`; its generation.
    std::uint64_t play(std::string_view user, double position) {
        return records.apply_ping(user, watch("lesson", position), 1'700'000'000'000).generation;
    }

    // The position PostgreSQL holds for (user, "", "lesson"); no_row when there is none.
    static constexpr double no_row = -1;
    static double position_in(store::connection& c, std::string_view user) {
        auto rows = c.exec("SELECT position_seconds FROM records WHERE context_id = '' AND content_id = 'lesson' AND user_id = '" +
                           std::string(user) + "'");
        BOOST_REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? "" : rows.error().message));
        if (rows->rows() == 0) return no_row;
        return std::stod(std::string(*rows->text(0, 0)));
    }
    double position_in_pg(std::string_view user) { return position_in(conn, user); }
};

// Users whose partitions differ (checked where they are used).
inline const std::vector<std::string> sample_users{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};

}  // namespace progressd::testing
