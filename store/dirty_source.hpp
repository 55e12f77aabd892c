#pragma once
// Something besides the progress records whose changes the persister writes to LMDB: the catalog,
// the enrolments. Each source keeps its own dirty set and writes into its own named database.
//
// The generation contract is the store's (see progress_store.hpp): a source reads the flush
// generation from the store's counter under its own lock when it records a change, and hands the
// change over in collect_changes(), which the persister calls under that lock after bumping the
// generation. So a change is always in the batch of the generation it was given, or an earlier
// one, and sync-mode waiters are released exactly as for records.

#include <functional>
#include <optional>
#include <string>

namespace progressd::store {

// One change to write: the encoded key and value, or nullopt to delete the key.
using change_visitor = std::function<void(std::string key, std::optional<std::string> value)>;

class dirty_source {
public:
    virtual ~dirty_source() = default;

    // Hands every change made since the last call to `emit` and forgets them. Called by the
    // persister thread only. Returns how many changes were handed over.
    virtual std::size_t collect_changes(const change_visitor& emit) = 0;
};

}  // namespace progressd::store
