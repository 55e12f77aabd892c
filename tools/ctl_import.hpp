#pragma once
// progressctl import: NDJSON lines (tools/ctl_ndjson.hpp, as export writes them) into a stopped
// data dir with the real encoders, in batched transactions; or, with --url, through a running
// server's native API (ctl_import_http.hpp), which cannot write everything exactly.

#include "tools/ctl_common.hpp"
#include "tools/ctl_ndjson.hpp"

#include <cstddef>
#include <functional>
#include <istream>
#include <string>

namespace progressd::tools {

struct import_counts {
    std::size_t lines = 0;
    std::size_t written = 0;
    std::size_t bad_lines = 0;  // did not parse: skipped, named on stderr
    std::size_t failed = 0;     // parsed, but the target refused it (the HTTP import)
};

// Reads `in` line by line, parses each (blank lines skipped) and hands the item to `write`; bad
// lines are counted and named on stderr with their number.
void read_lines(std::istream& in, import_counts& counts, const std::function<void(export_item&&)>& write);

void add_import_command(CLI::App& app, command_action& action);

}  // namespace progressd::tools
