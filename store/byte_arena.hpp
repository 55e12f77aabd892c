#pragma once
// Append-only storage for many small byte strings that are dropped all at once: the persister's
// encoded keys and values of one batch. One allocation per chunk instead of one per string, and
// the strings of a batch lie next to each other. Bytes never move once stored (chunks are never
// reallocated), so the views handed out stay valid until clear().
//
// Thread-safety: none; the persister thread owns it.

#include "store/scratch_reuse.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

class byte_arena {
public:
    static constexpr std::size_t chunk_bytes = std::size_t{1} << 20;

    std::string_view store(std::string_view bytes) {
        if (used_ == 0 || room(chunks_[used_ - 1]) < bytes.size()) {
            if (used_ == chunks_.size()) chunks_.emplace_back();
            // Empty (new, or cleared with no view left into it), so reserving moves nothing.
            chunks_[used_].reserve(std::max(chunk_bytes, bytes.size()));
            ++used_;
        }
        std::string& chunk = chunks_[used_ - 1];
        const std::size_t at = chunk.size();
        chunk.append(bytes);
        return std::string_view(chunk).substr(at, bytes.size());
    }

    // Forgets every string. The chunks are kept for the next batch while this one used at least
    // a quarter of them; otherwise only those it used are (store/scratch_reuse.hpp).
    void clear() {
        if (!keep_for_next_batch(used_, chunks_.size(), 1)) chunks_.resize(used_);
        for (std::string& chunk : chunks_) chunk.clear();
        used_ = 0;
    }
    // Bytes held for strings, used or not.
    std::size_t reserved_bytes() const {
        std::size_t bytes = 0;
        for (const std::string& chunk : chunks_) bytes += chunk.capacity();
        return bytes;
    }

private:
    static std::size_t room(const std::string& chunk) { return chunk.capacity() - chunk.size(); }

    std::vector<std::string> chunks_;
    std::size_t used_ = 0;  // chunks_[0, used_) hold strings; the last of them takes appends
};

}  // namespace progressd::store
