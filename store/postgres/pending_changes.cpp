#include "store/postgres/pending_changes.hpp"

#include "store/codec/enrolment_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/partition.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

void sort_unique(std::vector<std::uint32_t>& partitions) {
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
}

// The user whose partition a source's change belongs to; nullopt for the shared tables (and for
// a key that does not decode, which apply_batch then refuses, naming it).
std::optional<std::string_view> user_of(batch_table table, std::string_view key) {
    if (table == batch_table::enrolments) {
        if (const auto decoded = decode_enrolment_key(key)) return decoded->user_id;
    } else if (table == batch_table::assessments) {
        if (const auto decoded = decode_key(key)) return decoded->user_id;
    }
    return std::nullopt;
}

}  // namespace

void change_report::merge(const change_report& other) {
    dropped_partitions.insert(dropped_partitions.end(), other.dropped_partitions.begin(), other.dropped_partitions.end());
    dropped_changes += other.dropped_changes;
    held_partitions.insert(held_partitions.end(), other.held_partitions.begin(), other.held_partitions.end());
    held_changes += other.held_changes;
    normalise();
}

void change_report::normalise() {
    sort_unique(dropped_partitions);
    sort_unique(held_partitions);
}

pending_changes::pending_changes()
    : held_(partition_count, 0), ever_held_(partition_count, 0), lost_epoch_(partition_count, 0) {}

void pending_changes::set_claims(std::span<const partition_claim> claims) {
    std::fill(held_.begin(), held_.end(), 0);
    for (const auto& claim : claims) {
        if (claim.partition >= partition_count || claim.epoch <= 0 || lost_epoch_[claim.partition] == claim.epoch) continue;
        held_[claim.partition] = claim.epoch;
        ever_held_[claim.partition] = std::max(ever_held_[claim.partition], claim.epoch);
    }
}

void pending_changes::lost(const partition_claim& claim, change_report& report) {
    if (claim.partition >= partition_count) return;
    lost_epoch_[claim.partition] = claim.epoch;
    if (held_[claim.partition] == claim.epoch) held_[claim.partition] = 0;
    const auto found = groups_.find(claim.partition);
    if (found != groups_.end() && found->second.epoch == claim.epoch) drop(claim.partition, report);
}

void pending_changes::drop(std::uint32_t partition, change_report& report) {
    const auto found = groups_.find(partition);
    if (found == groups_.end()) return;
    const std::size_t changes = found->second.size();
    report.dropped_partitions.push_back(partition);
    report.dropped_changes += changes;
    size_ -= changes;
    groups_.erase(found);
}

pending_changes::group* pending_changes::group_for(std::uint32_t partition, change_report& report) {
    const std::int64_t epoch = held_[partition];
    auto found = groups_.find(partition);
    // A group of an ended tenure (held at another epoch, or no longer held) goes first.
    if (found != groups_.end() && found->second.epoch != 0 && found->second.epoch != epoch) {
        drop(partition, report);
        found = groups_.end();
    }
    if (epoch == 0 && ever_held_[partition] != 0) {
        // Not held, but held before: the change belongs to a tenure that ended.
        report.dropped_partitions.push_back(partition);
        ++report.dropped_changes;
        return nullptr;
    }
    if (found == groups_.end()) found = groups_.emplace(partition, group{}).first;
    group& g = found->second;
    if (g.epoch == 0) g.epoch = epoch;  // a held-back group is adopted by the first claim
    if (g.epoch == 0) {
        report.held_partitions.push_back(partition);
        ++report.held_changes;
    }
    return &g;
}

void pending_changes::add_record(std::string_view user_id, const record_key& key, const progress_record* record,
                                 change_report& report) {
    group* g = group_for(partition_of(user_id), report);
    if (!g) return;
    encode_key(key_scratch_, user_id, key);
    auto [found, inserted] = g->records.try_emplace(key_scratch_);
    auto& change = found->second;
    if (inserted) {
        change.user_id = std::string(user_id);
        change.key = key;
        ++size_;
    }
    if (record) change.record = *record;
    else change.record.reset();
}

void pending_changes::add_change(batch_table table, std::string key, std::optional<std::string> value,
                                 change_report& report) {
    auto* changes = &shared_;
    if (const auto user = user_of(table, key)) {
        group* g = group_for(partition_of(*user), report);
        if (!g) return;
        changes = &g->changes;
    }
    const std::size_t before = changes->size();
    (*changes)[{table, std::move(key)}] = std::move(value);
    count(before, changes->size());
}

void pending_changes::build(write_batch& batch, std::vector<partition_claim>& claims, change_report& report) {
    batch.records.clear();
    batch.changes.clear();
    claims.clear();
    for (auto it = groups_.begin(); it != groups_.end();) {
        const std::uint32_t partition = it->first;
        group& g = it->second;
        ++it;  // drop() may erase the group
        g.in_batch = false;
        if (g.epoch == 0) {
            if (held_[partition] == 0) continue;  // still held back
            g.epoch = held_[partition];
        }
        if (held_[partition] != g.epoch) {
            drop(partition, report);
            continue;
        }
        g.in_batch = true;
        claims.push_back({partition, g.epoch});
        for (const auto& [key, change] : g.records) batch.records.push_back(change);
        for (const auto& [key, value] : g.changes) batch.changes.push_back({key.first, key.second, value});
    }
    for (const auto& [key, value] : shared_) batch.changes.push_back({key.first, key.second, value});
    shared_in_batch_ = true;
    report.normalise();
}

void pending_changes::committed() {
    for (auto it = groups_.begin(); it != groups_.end();) {
        if (it->second.in_batch) {
            size_ -= it->second.size();
            it = groups_.erase(it);
        } else {
            ++it;
        }
    }
    if (shared_in_batch_) {
        size_ -= shared_.size();
        shared_.clear();
        shared_in_batch_ = false;
    }
}

std::size_t pending_changes::held_back() const {
    std::size_t held = 0;
    for (const auto& [partition, g] : groups_) {
        if (g.epoch == 0) held += g.size();
    }
    return held;
}

bool pending_changes::has_any(std::span<const std::uint32_t> partitions) const {
    return std::any_of(partitions.begin(), partitions.end(), [this](std::uint32_t p) { return groups_.contains(p); });
}

}  // namespace progressd::store
