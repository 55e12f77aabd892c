// The persister's batch: collecting, committing through the fence, splitting off lost
// partitions, and the failure bookkeeping (pg_persister.hpp says what and why).

#include "store/postgres/pg_persister.hpp"

#include "common/clock.hpp"
#include "store/postgres/lost_claims.hpp"
#include "store/postgres/transaction.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
// Each refusal removes at least one partition from the batch, so this only bounds a batch whose
// partitions keep being taken over while it retries; the rest then waits for the backoff.
constexpr int fenced_retries = 8;

}  // namespace

void pg_persister::flush_once(std::vector<std::shared_ptr<flush_request>>& requests) {
    const std::uint64_t generation = store_.begin_flush();
    std::vector<partition_claim> claims = claims_ ? claims_() : std::vector<partition_claim>{};
    // A handover flush names its claims itself: the keeper's, at the moment it hands them over.
    for (const auto& request : requests) {
        for (const auto& claim : request->claims) {
            const auto same = std::find_if(claims.begin(), claims.end(),
                                           [&](const partition_claim& c) { return c.partition == claim.partition; });
            if (same != claims.end()) *same = claim;
            else claims.push_back(claim);
        }
    }
    pending_.set_claims(claims);

    change_report report;
    collect(report);
    const bool committed = commit(report);
    report.normalise();
    report_losses(report, generation);
    publish_sizes();
    finish_waiters(generation, committed);

    for (const auto& request : requests) {
        std::vector<std::uint32_t> partitions;
        for (const auto& claim : request->claims) partitions.push_back(claim.partition);
        const bool dropped = std::any_of(partitions.begin(), partitions.end(), [&](std::uint32_t p) {
            return std::binary_search(report.dropped_partitions.begin(), report.dropped_partitions.end(), p);
        });
        request->done.set_value(committed && !dropped && !pending_.has_any(partitions));
    }
}

void pg_persister::collect(change_report& report) {
    for (std::size_t shard = 0; shard < store_.shard_count(); ++shard) {
        store_.collect_dirty(shard, [&](std::string_view user_id, const record_key& key, const progress_record* record) {
            pending_.add_record(user_id, key, record, report);
        });
    }
    for (const auto& attached : sources_) {
        attached.source->collect_changes([&, table = attached.table](std::string key, std::optional<std::string> value) {
            pending_.add_change(table, std::move(key), std::move(value), report);
        });
    }
}

bool pg_persister::commit(change_report& report) {
    for (int attempt = 0; attempt < fenced_retries; ++attempt) {
        pending_.build(batch_, batch_claims_, report);
        if (batch_.empty()) {
            pending_.committed();
            // Nothing to write; while failing, check that PostgreSQL is back all the same, or a
            // node with nothing to write would stay unready for good.
            return healthy() || probe();
        }
        const auto started = steady::now();
        std::vector<partition_claim> lost;
        pg_error error;
        if (write(lost, error)) {
            pending_.committed();
            succeeded(batch_.size(), std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started));
            return true;
        }
        if (error.code != pg_errc::fenced || lost.empty()) {
            failed(error);
            return false;
        }
        // The batch was refused whole; what belongs to the partitions we still hold goes again at
        // once, without the lost ones (they are the new owner's now).
        {
            std::lock_guard lock(mutex_);
            ++stats_.fenced;
        }
        for (const auto& claim : lost) pending_.lost(claim, report);
    }
    failed(pg_error{pg_errc::fenced, {}, "the batch was fenced on every retry"});
    return false;
}

bool pg_persister::write(std::vector<partition_claim>& lost, pg_error& error) {
    if (!conn_) {
        auto opened = connection::open(conninfo_);
        if (!opened) {
            error = opened.error();
            return false;
        }
        conn_.emplace(std::move(opened).value());
        backend_pid_.store(PQbackendPID(conn_->get()), std::memory_order_release);
        if (std::exchange(connected_once_, true)) {
            std::lock_guard lock(mutex_);
            ++stats_.reconnects;
        }
    }
    auto txn = transaction::begin(*conn_);
    if (!txn) {
        error = txn.error();
        return false;
    }
    if (auto applied = apply_batch(*txn, batch_); !applied) {
        error = applied.error();
        return false;  // txn rolls back as it goes
    }
    const auto status = fenced_commit(*txn, node_id_, batch_claims_);
    if (status) return true;
    error = status.error();
    if (error.code == pg_errc::fenced) {
        if (auto found = lost_claims(*conn_, node_id_, batch_claims_)) lost = std::move(found).value();
        else error = found.error();
    }
    return false;
}

bool pg_persister::probe() {
    if (!conn_) {
        auto opened = connection::open(conninfo_);
        if (!opened) {
            failed(opened.error());
            return false;
        }
        conn_.emplace(std::move(opened).value());
        backend_pid_.store(PQbackendPID(conn_->get()), std::memory_order_release);
        std::lock_guard lock(mutex_);
        ++stats_.reconnects;
    }
    if (auto answered = conn_->exec("SELECT 1"); !answered) {
        failed(answered.error());
        return false;
    }
    backoff_ = std::chrono::milliseconds{0};
    if (!healthy_.exchange(true, std::memory_order_acq_rel)) log_.info("write_behind_recovered", {});
    return true;
}

void pg_persister::failed(const pg_error& error) {
    // A broken connection is replaced at the next try (its prepared statements go with it).
    if (conn_ && (error.code == pg_errc::connection_failed || !conn_->healthy())) conn_.reset();
    backoff_ = std::min(max_backoff, backoff_.count() == 0 ? first_backoff : backoff_ * 2);
    {
        std::lock_guard lock(mutex_);
        ++stats_.failures;
    }
    // Once per outage: the retries say nothing new.
    if (healthy_.exchange(false, std::memory_order_acq_rel)) {
        log_.error("write_behind_failed", {{"error", std::string_view(error.message)},
                                           {"pending", std::int64_t(pending_.size())}});
    }
}

void pg_persister::succeeded(std::size_t written, std::chrono::microseconds took) {
    backoff_ = std::chrono::milliseconds{0};
    {
        std::lock_guard lock(mutex_);
        ++stats_.flushes;
        stats_.changes_written += written;
        stats_.last_flush_duration_us = static_cast<std::uint64_t>(took.count());
        stats_.flush_durations.observe(took);
        stats_.last_success_ms = wall_clock_ms();
    }
    if (!healthy_.exchange(true, std::memory_order_acq_rel)) log_.info("write_behind_recovered", {});
}

}  // namespace progressd::store
