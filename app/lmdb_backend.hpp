#pragma once
// The embedded store: the stores written behind to the data dir's LMDB environment by one
// persister thread (store/persist/persister.hpp) through the write-ahead log, in either durability. At
// start-up everything is loaded back before the server is ready.

#include "app/backend.hpp"
#include "app/stores.hpp"
#include "common/log.hpp"
#include "store/persist/durability.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/persister.hpp"

#include <chrono>
#include <string>

namespace progressd::app {

struct lmdb_backend_options {
    std::string data_dir;  // where the write-ahead log lives, beside LMDB's files
    store::durability_mode durability = store::durability_mode::snapshot;
    std::chrono::milliseconds flush_interval{1000};
    std::chrono::milliseconds checkpoint_interval{30000};
    std::size_t lmdb_max_map_size = 0;  // 0: grow without limit
};

class lmdb_backend final : public backend {
public:
    // Replays the write-ahead log (throws with what failed) and attaches every store.
    lmdb_backend(stores& data, store::lmdb_environment& environment, const lmdb_backend_options& options,
                 const logger& log);

    recovery_summary recover() override;
    void start() override { persister_.start(); }
    bool stop() override { return persister_.stop(); }
    store::log_replay replayed() const override { return replayed_; }

    void when_durable(std::uint64_t generation, durable_callback callback) override {
        persister_.when_durable(generation, std::move(callback));
    }
    std::uint64_t durable_generation() const override { return persister_.durable_generation(); }
    void request_flush() override { persister_.request_flush(); }
    bool healthy() const override { return persister_.healthy(); }
    bool writable() const override { return persister_.healthy(); }
    bool falling_behind() const override { return persister_.falling_behind(); }
    write_behind_stats stats() const override;
    const char* store_name() const override { return "LMDB"; }

private:
    stores& data_;
    const logger& log_;
    store::lmdb_environment& environment_;
    store::log_replay replayed_;
    store::write_ahead_log write_ahead_;  // before the persister, which uses it until it stops
    store::persister persister_;
};

}  // namespace progressd::app
