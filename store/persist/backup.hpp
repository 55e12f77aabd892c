#pragma once
// Hot backup (docs/durability.md): a consistent copy of a data dir's LMDB environment while a server
// keeps writing to it. LMDB readers in other processes see one committed snapshot and never block
// the writer, so the copy is exactly the state after some commit.

#include <string>

namespace progressd::store {

// Copies `data_dir`'s LMDB environment into `target_dir` (created; must not already hold a
// data.mdb), compacted, with its write-ahead log. Secrets in the data dir are not copied. Throws with what failed.
void backup_data_dir(const std::string& data_dir, const std::string& target_dir);

}  // namespace progressd::store
