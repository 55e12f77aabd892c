#pragma once
// One user's records inside a progress-store shard: a flat vector of packed_record sorted by
// their key's intern ids (context id, content id).
//
// A vector instead of a std::map: no 32-byte tree node and no per-record allocation, and a user
// rarely has more than a few hundred records, so the binary search is short and the shift on
// insert (only when a record is created) is cheap. It grows by an eighth, not by doubling, so a
// user's vector wastes ~6 % on average instead of ~25 %; creating records is not the hot path.
// The price: creating a record moves the records after it, so a user with very many records
// (10^5: ~6 MB moved per new record) pays per create what a tree paid per lookup. Fine for
// people; a backend filing millions of records under one user id would want another layout.
//
// Sorted by ids, not by text: a ping then costs one hash lookup of its content id (none for the
// empty context) and a binary search over integers, where comparing texts took ~540 instructions
// of string compares per ping. Readers that need the text order (list_user) sort a page's worth
// of indices with key_order().
//
// It also bounds where its dirty records are (dirty_begin(), dirty_end()): the persister collects
// a user's changes by walking that range, not all its records. Between two batches a user
// usually has one or two changed records, and testing every record's flag read all of them to find
// those (3 KiB at 32 records a user, 100 KiB at 1 000), a cost that grew with the store
// (bench/RESULTS.md, "A growing store"). The range costs no memory: the vector keeps its size
// and capacity in 32 bits each, so the 24 bytes of a std::vector hold the vector and the range.
//
// Thread-safety: none; the shard uses it under its lock.

#include "store/intern_table.hpp"
#include "store/packed_record.hpp"

#include <boost/container/options.hpp>
#include <boost/container/vector.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace progressd::store {

struct record_position {
    std::size_t index = 0;  // of the record, or where it would be inserted
    bool found = false;
};

class user_records {
public:
    record_position locate(intern_table::id context, intern_table::id content) const;
    // Inserts at `index`, which locate() returned for the record's key.
    packed_record& insert(std::size_t index, packed_record&& record);
    void erase(std::size_t index);

    // Sets the dirty flag of `record`, one of these records (the store has queued it for the
    // persister), and widens the dirty range to it. Clearing a flag needs nothing more: the range only has to hold every
    // dirty record, and may hold clean ones.
    void mark_dirty(packed_record& record);
    // Every dirty record's index i has dirty_begin() <= i < dirty_end().
    std::size_t dirty_begin() const { return dirty_begin_; }
    std::size_t dirty_end() const { return dirty_end_; }
    // Empties the range; only once no record is dirty.
    void all_clean() { dirty_begin_ = dirty_end_ = 0; }

    // Indices of the records at positions [offset, offset + limit) in (context_id, content_id)
    // text order; O(n) on average plus sorting the page, not sorting all n.
    std::vector<std::size_t> key_order(const intern_table& strings, std::size_t offset, std::size_t limit) const;

    std::size_t size() const { return records_.size(); }
    bool empty() const { return records_.empty(); }
    std::size_t capacity() const { return records_.capacity(); }
    void shrink_to_fit() { records_.shrink_to_fit(); }
    const packed_record* data() const { return records_.data(); }
    packed_record& operator[](std::size_t index) { return records_[index]; }
    const packed_record& operator[](std::size_t index) const { return records_[index]; }
    auto begin() { return records_.begin(); }
    auto end() { return records_.end(); }
    auto begin() const { return records_.begin(); }
    auto end() const { return records_.end(); }

private:
    using options = boost::container::vector_options_t<boost::container::stored_size<std::uint32_t>>;
    boost::container::vector<packed_record, void, options> records_;
    std::uint32_t dirty_begin_ = 0;
    std::uint32_t dirty_end_ = 0;  // dirty_begin_ >= dirty_end_: no record is dirty
};
static_assert(sizeof(user_records) == 24, "user_records grew: see progress_store_shard.hpp's user_entry");

// Whether a's key sorts before b's as text (context first), the order record_key has.
bool key_text_less(const intern_table& strings, const packed_record& a, const packed_record& b);

}  // namespace progressd::store
