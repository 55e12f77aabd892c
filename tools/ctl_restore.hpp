#pragma once
// progressctl restore: the counterpart of `backup`. Verifies the backup as `verify` does, refuses a
// damaged one, a data dir a server holds, and a non-empty one without --force, then puts the
// backup's files in place atomically: each written beside its final name and synced, the target's
// old write-ahead log removed, then renamed into place and the directory synced.

#include "tools/ctl_common.hpp"

namespace progressd::tools {

void add_restore_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
