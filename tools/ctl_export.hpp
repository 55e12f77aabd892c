#pragma once
// progressctl export: a data dir's catalog, records, enrolments and assessments as NDJSON
// (tools/ctl_ndjson.hpp), streamed from one read-only LMDB transaction, so memory stays flat
// whatever the size, beside a running server or without one.

#include "tools/ctl_common.hpp"

namespace progressd::tools {

void add_export_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
