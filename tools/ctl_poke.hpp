#pragma once
// progressctl poke (hidden from --help): writes raw bytes as one LMDB value of a stopped data dir.
// It exists for the end-to-end tests of verify --repair, which must damage a value on purpose:
// lmdb-utils' mdb_load cannot write arbitrary bytes under an existing key of a named database
// with a server-shaped environment, and Python here has no LMDB module. It takes the server's
// lock like every writing subcommand, so it cannot touch a live dir.

#include "tools/ctl_common.hpp"

namespace progressd::tools {

void add_poke_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
