#pragma once
// The notice a batch sends when it writes the cluster's shared tables (docs/cluster.md, "Shared
// state"): `NOTIFY progressd_shared` with the table and the keys it changed, issued inside the
// batch's transaction, so PostgreSQL delivers it only when the batch commits, and never for one
// rolled back or fenced. Every node's shared_state_listener reads the rows it names back.
//
// The payload is text: the table's name, a space, then each key as `<length in bytes>:<key>`
// (ids may hold any character but NUL, which text cannot), or `*` when the keys would not fit in
// a notice (PostgreSQL's limit is 8000 bytes): then the listener reloads the whole table.
//
// Thread-safety: plain functions and values.

#include "store/postgres/pg_error.hpp"
#include "store/postgres/transaction.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

inline constexpr std::string_view shared_state_channel = "progressd_shared";

enum class shared_table : std::uint8_t { catalog, webhooks };

struct shared_notice {
    shared_table table = shared_table::catalog;
    bool whole_table = false;        // reload the whole table: the keys did not fit
    std::vector<std::string> keys;   // the ids changed (upserted or deleted); empty when whole_table

    friend bool operator==(const shared_notice&, const shared_notice&) = default;
};

// Payloads stay under this many bytes; more keys become `*`.
inline constexpr std::size_t max_notice_payload = 7900;

std::string encode_shared_notice(shared_table table, std::span<const std::string_view> keys);
// nullopt: not a notice of this format (another program's on the same channel); ignored.
std::optional<shared_notice> decode_shared_notice(std::string_view payload);

// Sends the notice for `keys` of `table` inside the caller's transaction (nothing when `keys` is
// empty). Delivered on commit only.
pg_status notify_shared(transaction& txn, shared_table table, std::span<const std::string_view> keys);

}  // namespace progressd::store
