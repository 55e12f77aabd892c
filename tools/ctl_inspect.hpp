#pragma once
// progressctl inspect: what a data dir holds (format, counts, sizes, the write-ahead log's state),
// read-only, beside a running server or without one.

#include "tools/ctl_common.hpp"

namespace progressd::tools {

void add_inspect_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
