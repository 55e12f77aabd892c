#include "store/catalog.hpp"

#include "store/codec/catalog_codec.hpp"
#include "store/sharding.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace progressd::store {
namespace {

template <class T>
using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

std::size_t bucket_of(std::string_view id) {
    return std::hash<std::string_view>{}(id) % catalog_snapshot::bucket_count;
}

// Sorted, unique id lists: the relation indexes.
void insert_sorted(std::vector<std::string>& ids, std::string_view id) {
    auto at = std::lower_bound(ids.begin(), ids.end(), id);
    if (at == ids.end() || *at != id) ids.insert(at, std::string(id));
}

void erase_sorted(std::vector<std::string>& ids, std::string_view id) {
    auto at = std::lower_bound(ids.begin(), ids.end(), id);
    if (at != ids.end() && *at == id) ids.erase(at);
}

bool contains_sorted(const std::vector<std::string>& ids, std::string_view id) {
    return std::binary_search(ids.begin(), ids.end(), id, std::less<>{});
}

}  // namespace

struct catalog_snapshot::bucket {
    string_map<std::shared_ptr<const content_entry>> entries;
    string_map<std::vector<std::string>> listed_in;          // child id → collections whose list names it
    string_map<std::vector<std::string>> declared_children;  // parent id → entries declaring it
};

// --- snapshot -------------------------------------------------------------------------------

catalog_snapshot::catalog_snapshot() {
    static const auto empty = std::make_shared<const bucket>();
    buckets_.fill(empty);
}

const content_entry* catalog_snapshot::find(std::string_view id) const {
    const auto& entries = buckets_[bucket_of(id)]->entries;
    auto found = entries.find(id);
    return found == entries.end() ? nullptr : found->second.get();
}

std::vector<std::string> catalog_snapshot::ids() const {
    std::vector<std::string> all;
    all.reserve(size_);
    for (const auto& part : buckets_) {
        for (const auto& [id, entry] : part->entries) all.push_back(id);
    }
    return all;
}

std::vector<std::string_view> catalog_snapshot::children_of(std::string_view id) const {
    std::vector<std::string_view> children;
    const content_entry* entry = find(id);
    if (entry) children.assign(entry->children.begin(), entry->children.end());
    const auto& declared = buckets_[bucket_of(id)]->declared_children;
    if (auto found = declared.find(id); found != declared.end()) {
        for (const auto& child : found->second) {
            if (!entry || std::find(entry->children.begin(), entry->children.end(), child) == entry->children.end()) {
                children.push_back(child);
            }
        }
    }
    return children;
}

bool catalog_snapshot::has_children(std::string_view id) const {
    if (const content_entry* entry = find(id); entry && !entry->children.empty()) return true;
    const auto& declared = buckets_[bucket_of(id)]->declared_children;
    return declared.find(id) != declared.end();
}

std::optional<std::string_view> catalog_snapshot::parent_of(std::string_view id) const {
    if (const content_entry* entry = find(id); entry && !entry->parent_id.empty()) return entry->parent_id;
    const auto& listed = buckets_[bucket_of(id)]->listed_in;
    if (auto found = listed.find(id); found != listed.end() && !found->second.empty()) return found->second.front();
    return std::nullopt;
}

bool catalog_snapshot::lists(std::string_view collection, std::string_view child) const {
    const auto& listed = buckets_[bucket_of(child)]->listed_in;
    auto found = listed.find(child);
    return found != listed.end() && contains_sorted(found->second, collection);
}

// --- draft ----------------------------------------------------------------------------------

catalog_draft::catalog_draft(const catalog_snapshot& base) : next_(base) {}

catalog_snapshot::bucket& catalog_draft::edit(std::string_view id) {
    const std::size_t index = bucket_of(id);
    if (!editable_[index]) {
        auto copy = std::make_shared<catalog_snapshot::bucket>(*next_.buckets_[index]);
        editable_[index] = copy.get();
        next_.buckets_[index] = std::move(copy);
    }
    return *editable_[index];
}

const content_entry* catalog_draft::find(std::string_view id) const { return next_.find(id); }

void catalog_draft::link(const content_entry& entry) {
    for (const auto& child : entry.children) insert_sorted(edit(child).listed_in[child], entry.id);
    if (!entry.parent_id.empty()) insert_sorted(edit(entry.parent_id).declared_children[entry.parent_id], entry.id);
}

void catalog_draft::unlink(const content_entry& entry) {
    for (const auto& child : entry.children) {
        auto& listed = edit(child).listed_in;
        auto found = listed.find(child);
        if (found == listed.end()) continue;
        erase_sorted(found->second, entry.id);
        if (found->second.empty()) listed.erase(found);
    }
    if (!entry.parent_id.empty()) {
        auto& declared = edit(entry.parent_id).declared_children;
        if (auto found = declared.find(entry.parent_id); found != declared.end()) {
            erase_sorted(found->second, entry.id);
            if (found->second.empty()) declared.erase(found);
        }
    }
}

bool catalog_draft::put(content_entry entry) {
    auto& entries = edit(entry.id).entries;
    auto found = entries.find(entry.id);
    const bool created = found == entries.end();
    if (!created) {
        const auto old = found->second;  // keep it alive while unlinking
        unlink(*old);
    }
    auto stored = std::make_shared<const content_entry>(std::move(entry));
    link(*stored);
    // Linking may have copied other buckets, never this entry's own twice: edit() is idempotent.
    edit(stored->id).entries.insert_or_assign(stored->id, stored);
    if (created) ++next_.size_;
    return created;
}

bool catalog_draft::erase(std::string_view id) {
    auto& entries = edit(id).entries;
    auto found = entries.find(id);
    if (found == entries.end()) return false;
    const auto old = found->second;
    entries.erase(found);
    unlink(*old);
    --next_.size_;
    return true;
}

std::shared_ptr<const catalog_snapshot> catalog_draft::publish() {
    editable_.fill(nullptr);
    return std::make_shared<const catalog_snapshot>(next_);
}

// --- catalog --------------------------------------------------------------------------------

catalog::catalog(const std::atomic<std::uint64_t>& generation)
    : generation_(generation), current_(std::make_shared<const catalog_snapshot>()) {}

std::shared_ptr<const catalog_snapshot> catalog::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void catalog::publish(catalog_draft& draft) {
    current_ = draft.publish();
    version_.fetch_add(1, std::memory_order_release);
}

void catalog::mark_dirty(std::string_view id) {
    if (dirty_set_.emplace(id).second) dirty_.emplace_back(id);
}

catalog_write catalog::put(content_entry entry, std::int64_t now_ms) {
    entry.updated_at = now_ms;
    entry.learned = false;
    std::lock_guard lock(mutex_);
    catalog_draft draft(*current_);
    const std::string id = entry.id;
    catalog_write result;
    result.created = draft.put(std::move(entry));
    publish(draft);
    mark_dirty(id);
    result.generation = generation_.load(std::memory_order_acquire);
    return result;
}

catalog_write catalog::put_all(std::vector<content_entry> entries, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    catalog_draft draft(*current_);
    for (auto& entry : entries) {
        entry.learned = false;
        // Re-importing an unchanged entry (the --catalog file at every start) changes nothing.
        if (const content_entry* old = draft.find(entry.id)) {
            entry.updated_at = old->updated_at;
            if (*old == entry) continue;
        }
        entry.updated_at = now_ms;
        const std::string id = entry.id;
        draft.put(std::move(entry));
        mark_dirty(id);
    }
    publish(draft);
    return {false, generation_.load(std::memory_order_acquire)};
}

std::optional<std::uint64_t> catalog::erase(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (!current_->find(id)) return std::nullopt;
    catalog_draft draft(*current_);
    draft.erase(id);
    publish(draft);
    mark_dirty(id);
    return generation_.load(std::memory_order_acquire);
}

std::optional<std::uint64_t> catalog::learn(std::string_view collection, std::string_view child, std::int64_t now_ms) {
    if (collection == child) return std::nullopt;
    std::lock_guard lock(mutex_);
    const content_entry* existing = current_->find(collection);
    content_entry learned;
    if (existing) {
        // Another thread may have learned it since the caller looked; an authoritative entry is
        // never changed by traffic.
        if (!existing->learned || current_->lists(collection, child)) return std::nullopt;
        if (existing->children.size() >= max_learned_children) return std::nullopt;
        learned = *existing;
    } else {
        learned.id = std::string(collection);
        learned.type = "collection";
        learned.learned = true;
    }
    learned.children.emplace_back(child);
    learned.updated_at = now_ms;
    catalog_draft draft(*current_);
    draft.put(std::move(learned));
    publish(draft);
    mark_dirty(collection);
    return generation_.load(std::memory_order_acquire);
}

void catalog::load(std::vector<content_entry> entries) {
    std::lock_guard lock(mutex_);
    catalog_draft draft(*current_);
    for (auto& entry : entries) draft.put(std::move(entry));
    publish(draft);
}

std::size_t catalog::collect_changes(const change_visitor& emit) {
    std::vector<std::string> ids;
    std::shared_ptr<const catalog_snapshot> snapshot;
    {
        std::lock_guard lock(mutex_);
        ids.swap(dirty_);
        dirty_set_.clear();
        snapshot = current_;
    }
    // Encoding happens outside the lock: the snapshot is immutable, and a change made meanwhile
    // is dirty again and goes into the next batch.
    for (auto& id : ids) {
        const content_entry* entry = snapshot->find(id);
        if (entry) {
            emit(std::move(id), encode_catalog_entry(*entry));
        } else {
            emit(std::move(id), std::nullopt);
        }
    }
    return ids.size();
}

bool catalog::apply_one(catalog_draft& draft, std::string_view id, content_entry* row) {
    const content_entry* held = draft.find(id);
    if (held && row && held->learned && row->learned) return merge_learned(draft, *held, *row);
    if (dirty_set_.contains(std::string(id))) return false;
    if (!row) return held && draft.erase(id);
    if (held && *held == *row) return false;
    draft.put(std::move(*row));
    return true;
}

// A collection learned on several nodes at once: each learned the children its own users played,
// and a plain "last write wins" would drop the others'. The children are a set that only grows
// (store/catalog.hpp, learn), so the union is the answer: the remote row, with the children only
// this node knows appended and written back (dirty), which the other nodes then take as it is.
bool catalog::merge_learned(catalog_draft& draft, const content_entry& held, content_entry& row) {
    std::vector<std::string> extra;
    for (const auto& child : held.children) {
        if (std::find(row.children.begin(), row.children.end(), child) == row.children.end()) extra.push_back(child);
    }
    if (extra.empty() && held == row) return false;
    // A local change still to be written is replaced by the union too: it stays dirty, so what
    // is written is the union, never the fewer children this node had.
    const std::string id = row.id;
    for (auto& child : extra) {
        if (row.children.size() >= max_learned_children) break;
        row.children.push_back(std::move(child));
    }
    if (!extra.empty()) row.updated_at = std::max(row.updated_at, held.updated_at);
    draft.put(std::move(row));
    if (!extra.empty()) mark_dirty(id);
    return true;
}

std::size_t catalog::apply_remote(const std::vector<std::string>& ids, std::vector<content_entry> rows) {
    std::unordered_map<std::string_view, content_entry*> by_id;
    for (auto& row : rows) by_id[row.id] = &row;
    std::lock_guard lock(mutex_);
    catalog_draft draft(*current_);
    std::size_t changed = 0;
    for (const auto& id : ids) {
        const auto found = by_id.find(id);
        if (apply_one(draft, id, found == by_id.end() ? nullptr : found->second)) ++changed;
    }
    if (changed > 0) publish(draft);
    return changed;
}

std::size_t catalog::replace_remote(std::vector<content_entry> rows) {
    std::lock_guard lock(mutex_);
    catalog_draft draft(*current_);
    std::size_t changed = 0;
    std::unordered_set<std::string_view> kept;
    for (const auto& row : rows) kept.insert(row.id);
    for (const auto& id : current_->ids()) {
        if (!kept.contains(id) && apply_one(draft, id, nullptr)) ++changed;
    }
    for (auto& row : rows) {
        const std::string id = row.id;
        if (apply_one(draft, id, &row)) ++changed;
    }
    if (changed > 0) publish(draft);
    return changed;
}

// --- cache ----------------------------------------------------------------------------------

void catalog_cache::refresh(const catalog& source) {
    const std::uint64_t version = source.version();
    if (source_ != &source || version != version_ || !snapshot_) {
        snapshot_ = source.snapshot();
        source_ = &source;
        version_ = version;
    }
}

const catalog_snapshot& catalog_cache::get(const catalog& source) {
    refresh(source);
    return *snapshot_;
}

std::shared_ptr<const catalog_snapshot> catalog_cache::shared(const catalog& source) {
    refresh(source);
    return snapshot_;
}

}  // namespace progressd::store
