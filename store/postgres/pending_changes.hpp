#pragma once
// What the PostgreSQL persister has collected and not yet committed, grouped by the partition it
// belongs to and tagged with the epoch this node held that partition at when it was collected.
//
// Why the tag: a change may only be committed under the tenure it was made in. A node that held
// partition P at epoch 3, lost it, and acquired it again at epoch 5 has reloaded P's users from
// PostgreSQL in between, so a change still pending from epoch 3 is stale: committed at epoch 5 it
// would overwrite what the owner at epoch 4 wrote. So:
//   - a change collected while P is held at epoch e is committed only while P is still held at e;
//     once P is held at another epoch or not at all, its group is dropped (lost: the new owner
//     reloads from PostgreSQL), and reported;
//   - a change collected while P is not held is never written unfenced. If this persister has
//     held P before (it has seen a claim for it), the change belongs to a tenure that ended: it is
//     dropped at once, as above. If it never has, the change is *held back*: kept, counted, and
//     committed at the epoch of the first claim that names P (a write accepted just before the
//     node's first acquisition of P reached its persister). A lease runs longer than a flush
//     interval, so the persister sees every claim of a tenure before the tenure can end.
// The shared tables (catalog, webhooks, outbox) belong to no partition and are always committed.
//
// Only the latest change to a key is kept, so what an outage buffers is bounded by the keys
// changed, not by the writes (size(), the persister's bound).
//
// Thread-safety: none; the persister thread's alone.

#include "store/postgres/fencing.hpp"
#include "store/postgres/write_batch.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace progressd::store {

// What a step dropped or held back, by partition (ascending, each once).
struct change_report {
    std::vector<std::uint32_t> dropped_partitions;
    std::size_t dropped_changes = 0;
    std::vector<std::uint32_t> held_partitions;  // held back changes collected this step
    std::size_t held_changes = 0;

    bool empty() const { return dropped_partitions.empty() && held_partitions.empty(); }
    void merge(const change_report& other);
    void normalise();  // sorts and dedups the partition lists
};

class pending_changes {
public:
    pending_changes();

    // The claims in force for what is collected next and for build(); remembers every partition
    // ever claimed. Claims at an epoch marked lost() do not count.
    void set_claims(std::span<const partition_claim> claims);
    // A partition found fenced at `epoch`: its claim at that epoch no longer counts, even while
    // the lease keeper still lists it, and its pending group is dropped into `report`.
    void lost(const partition_claim& claim, change_report& report);

    // Collection: a record change, or a source's change for `table`. Drops or holds back as above.
    void add_record(std::string_view user_id, const record_key& key, const progress_record* record, change_report& report);
    void add_change(batch_table table, std::string key, std::optional<std::string> value, change_report& report);

    // Everything committable now into `batch` (cleared first) and the claims the batch needs (one
    // per partition written). Groups whose tenure ended are dropped into `report` first.
    void build(write_batch& batch, std::vector<partition_claim>& claims, change_report& report);
    // The batch from the last build() committed: forget it. Changes collected since stay.
    void committed();

    std::size_t size() const { return size_; }  // changes kept, held back ones included
    std::size_t held_back() const;
    // Whether anything is kept for one of these partitions.
    bool has_any(std::span<const std::uint32_t> partitions) const;

private:
    struct group {
        std::int64_t epoch = 0;  // the claim it was collected under; 0: held back
        std::unordered_map<std::string, write_batch::record_change> records;  // by encoded key
        std::map<std::pair<batch_table, std::string>, std::optional<std::string>> changes;
        bool in_batch = false;  // put in the batch by the last build()
        std::size_t size() const { return records.size() + changes.size(); }
    };

    // The group that takes a change of `partition` now, or null when the change is dropped.
    group* group_for(std::uint32_t partition, change_report& report);
    void drop(std::uint32_t partition, change_report& report);
    void count(std::size_t before, std::size_t after) { size_ = size_ + after - before; }

    std::map<std::uint32_t, group> groups_;
    std::map<std::pair<batch_table, std::string>, std::optional<std::string>> shared_;
    bool shared_in_batch_ = false;
    std::vector<std::int64_t> held_;         // per partition, the epoch held now; 0: not held
    std::vector<std::int64_t> ever_held_;    // per partition, the latest epoch ever claimed; 0: never
    std::vector<std::int64_t> lost_epoch_;   // per partition, an epoch found fenced
    std::size_t size_ = 0;
    std::string key_scratch_;
};

}  // namespace progressd::store
