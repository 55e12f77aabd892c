#pragma once
// progressctl availability: read or set a running node's availability through its
// `/v1/ops/availability` (docs/operations.md, "Taking a node out"): `ready`, `drain` or `maint`,
// which readiness and the HAProxy agent (--agent-listen) report. With a service API key, taken
// from the server's own --api-keys-file (its first key), so one environment serves both.

#include <CLI/CLI.hpp>

#include <functional>

namespace progressd::tools {

// Registers the subcommand; its parse callback sets `action` to run it.
void add_availability_command(CLI::App& app, std::function<int()>& action);

}  // namespace progressd::tools
