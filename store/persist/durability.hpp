#pragma once
// What a write's acknowledgement promises (docs/durability.md).

#include <optional>
#include <string_view>

namespace progressd::store {

enum class durability_mode {
    snapshot,  // acknowledged from memory; the persister commits every flush interval
    sync,      // acknowledged once the LMDB transaction holding the write has committed
};

inline std::optional<durability_mode> parse_durability_mode(std::string_view text) {
    if (text == "snapshot") return durability_mode::snapshot;
    if (text == "sync") return durability_mode::sync;
    return std::nullopt;
}

inline std::string_view to_string(durability_mode mode) { return mode == durability_mode::sync ? "sync" : "snapshot"; }

}  // namespace progressd::store
