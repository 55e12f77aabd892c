#pragma once
// What makes an LMDB entry damaged: the same checks the server's recovery makes before it loads an
// entry (store/persist/recovery.cpp), with the real decoders, so what `progressctl verify` reports
// is exactly what a server starting on the dir would skip. For `meta`, the keys the server reads.

#include "tools/ctl_common.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace progressd::tools {

// Why the entry is damaged, or nullopt when it decodes.
std::optional<std::string> find_damage(database_id database, std::string_view key, std::string_view value);

}  // namespace progressd::tools
