#pragma once
// Reference-counted string interning: one copy of each distinct string, named by a 4-byte id.
//
// The progress store keeps millions of records whose context, content and mimetype strings repeat
// across users ("content-0042" is watched by thousands), so a record stores ids instead of
// strings. Counting references lets a string go once its last record is gone: without it, ids made
// up by clients (every content id ever pinged) would pile up for the life of the process. A freed
// id is reused.
//
// The empty string is id 0, always present and never counted: most records have no context and no
// mimetype, and they then cost no hash lookup.
//
// Every ping looks its content id up here, in one of many shard tables that rarely stay cached:
// the index is an open-addressed table whose keys are short strings held in the slot itself
// (a group's metadata and one slot, no bucket array or node chain to follow). The index moves its
// keys when it grows, so the text that ids name is a second copy, kept where it never moves.
//
// Thread-safety: none. Each progress-store shard owns one table and uses it under its lock.

#include "store/sharding.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

class intern_table {
public:
    using id = std::uint32_t;
    static constexpr id empty_id = 0;

    intern_table();

    // The id of `text`, adding it when absent; the caller owns one reference until release().
    id acquire(std::string_view text);
    // Adds a reference to an id the caller already holds one of (a copy of a key).
    void add_ref(id string);
    // Drops one reference; the string is removed with its last.
    void release(id string);
    // The id of `text` without taking a reference, or nullopt when no record uses it.
    std::optional<id> find(std::string_view text) const;
    std::string_view text(id string) const { return entries_[string].text; }

    // Distinct strings held, the empty one not counted.
    std::size_t size() const { return index_.size(); }
    std::size_t references(id string) const { return entries_[string].refs; }
    // What the table takes: its index, its entries, and texts too long for a string's own buffer
    // (each text is held twice: as the index's key and in its entry).
    std::size_t bytes() const;

private:
    struct entry {
        std::string text;
        std::uint32_t refs = 0;
    };
    boost::unordered_flat_map<std::string, id, string_hash, std::equal_to<>> index_;
    // By id; entries_[0] is the empty string. A deque, so the text an id names stays where it is
    // (text() hands out views) while later strings are added.
    std::deque<entry> entries_;
    std::vector<id> free_;  // ids of removed strings, reused first
};

}  // namespace progressd::store
