#pragma once
// The catalog (docs/data-model.md): which contents exist, how long, and how collections (courses,
// units) contain them. Aggregation reads it; the hot path reads it to learn collections from
// pings.
//
// Copy-on-write: readers hold an immutable catalog_snapshot (a shared_ptr) and never lock while
// they read it. A writer builds the next snapshot under the catalog's mutex and publishes it. The
// snapshot is split into buckets by a hash of the id, and a change copies only the buckets it
// touches, so learning one lesson into a catalog of 100 000 entries copies about 1/64 of it.
// The hot path does not even take the mutex: each I/O thread keeps a catalog_cache, which
// compares one atomic version number and reloads only after a change.
//
// Relations: a collection's children are its ordered `children` list, followed by the entries
// that name it as their `parent_id` without being listed (in id order). A content's parent is
// its declared `parent_id`, else the first collection (by id) whose list names it.
//
// Thread-safety: catalog's members may be called from any thread; a snapshot is immutable and
// may be shared freely; a catalog_cache belongs to one thread.

#include "store/dirty_source.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace progressd::store {

struct content_entry {
    std::string id;
    std::string type;   // course, course-part, video, pdf, quiz… (free text)
    std::string title;
    std::optional<double> duration_seconds;  // nullopt: unknown
    std::string parent_id;                   // empty: none declared
    std::vector<std::string> children;       // ordered, unique
    bool optional = false;                   // does not count toward its collection's completion
    std::string attributes;                  // a serialized JSON object; empty: none
    bool learned = false;                    // created from traffic, not managed through the API
    std::int64_t updated_at = 0;             // ms since epoch

    friend bool operator==(const content_entry&, const content_entry&) = default;
};

// Learned collections stop growing here: pings cannot make one unboundedly large.
inline constexpr std::size_t max_learned_children = 1000;

class catalog_snapshot {
public:
    static constexpr std::size_t bucket_count = 64;

    catalog_snapshot();

    const content_entry* find(std::string_view id) const;
    // Effective children, in order (see the header comment). Views stay valid with the snapshot.
    std::vector<std::string_view> children_of(std::string_view id) const;
    bool has_children(std::string_view id) const;
    std::optional<std::string_view> parent_of(std::string_view id) const;
    // Whether `collection`'s children list names `child`. The hot path's question, answered with
    // two hash lookups.
    bool lists(std::string_view collection, std::string_view child) const;
    std::size_t size() const { return size_; }
    // Every entry's id, in no particular order.
    std::vector<std::string> ids() const;

    struct bucket;

private:
    friend class catalog_draft;
    std::array<std::shared_ptr<const bucket>, bucket_count> buckets_;
    std::size_t size_ = 0;
};

// The next snapshot under construction: copies a bucket the first time it changes it.
class catalog_draft {
public:
    explicit catalog_draft(const catalog_snapshot& base);

    const content_entry* find(std::string_view id) const;
    // Inserts or replaces; returns whether the id is new.
    bool put(content_entry entry);
    bool erase(std::string_view id);
    std::shared_ptr<const catalog_snapshot> publish();

private:
    catalog_snapshot::bucket& edit(std::string_view id);
    void link(const content_entry& entry);
    void unlink(const content_entry& entry);

    catalog_snapshot next_;
    std::array<catalog_snapshot::bucket*, catalog_snapshot::bucket_count> editable_{};
};

struct catalog_write {
    bool created = false;          // the id was not in the catalog before
    std::uint64_t generation = 0;  // durable once the persister has committed this generation
};

class catalog : public dirty_source {
public:
    // `generation` is the store's flush counter (progress_store::generation_counter()).
    explicit catalog(const std::atomic<std::uint64_t>& generation);

    std::shared_ptr<const catalog_snapshot> snapshot() const;
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

    // Authoritative writes (the catalog API, the --catalog file). `updated_at` is set to now_ms.
    catalog_write put(content_entry entry, std::int64_t now_ms);
    // One snapshot for all of them; a later entry with the same id wins.
    catalog_write put_all(std::vector<content_entry> entries, std::int64_t now_ms);
    std::optional<std::uint64_t> erase(std::string_view id);

    // A ping said `child` belongs to `collection`. When the collection is absent it is learned
    // (type "collection", learned); a learned collection gains the child; an authoritative one
    // is left alone. Returns the generation when the catalog changed.
    std::optional<std::uint64_t> learn(std::string_view collection, std::string_view child, std::int64_t now_ms);

    // Recovery: entries read back from LMDB, clean (not dirty).
    void load(std::vector<content_entry> entries);

    // Changes another cluster node made, read back from PostgreSQL (store/postgres/
    // shared_state_listener.hpp). They are already written, so they are applied clean: marked
    // dirty, they would be written back, and every node would echo every change. An id dirty here
    // is left alone: its local change is newer than the row read, will be written, and the notice
    // of that write brings every node to it. An entry equal to the one held changes nothing.
    // Returns how many entries changed (the snapshot is republished only when some did).
    //
    // apply_remote: each id of `ids` takes the entry of `rows` with that id, or is removed when
    // `rows` has none (the row was deleted). replace_remote: the catalog becomes `rows` (a whole
    // reload), entries absent from them removed.
    std::size_t apply_remote(const std::vector<std::string>& ids, std::vector<content_entry> rows);
    std::size_t replace_remote(std::vector<content_entry> rows);

    std::size_t collect_changes(const change_visitor& emit) override;

private:
    void publish(catalog_draft& draft);  // under mutex_
    void mark_dirty(std::string_view id);  // under mutex_
    // Under mutex_: `id` becomes `row` (nullptr: removed) unless dirty or equal; whether it changed.
    bool merge_learned(catalog_draft& draft, const content_entry& held, content_entry& row);
    bool apply_one(catalog_draft& draft, std::string_view id, content_entry* row);

    const std::atomic<std::uint64_t>& generation_;
    mutable std::mutex mutex_;  // guards current_, dirty_, dirty_set_; serializes writers
    std::shared_ptr<const catalog_snapshot> current_;
    std::vector<std::string> dirty_;
    std::unordered_set<std::string> dirty_set_;
    std::atomic<std::uint64_t> version_{1};
};

// One thread's view of the catalog: the latest snapshot it has seen. get() costs one atomic load
// while the catalog is unchanged. Thread-safety: none (one per I/O thread).
class catalog_cache {
public:
    // The reference stays valid until the next call on this cache.
    const catalog_snapshot& get(const catalog& source);
    // For readers that keep the snapshot beyond that (copies the shared_ptr).
    std::shared_ptr<const catalog_snapshot> shared(const catalog& source);

private:
    void refresh(const catalog& source);

    const catalog* source_ = nullptr;
    std::uint64_t version_ = 0;
    std::shared_ptr<const catalog_snapshot> snapshot_;
};

}  // namespace progressd::store
