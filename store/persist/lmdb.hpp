#pragma once
// RAII over the LMDB C API: the environment (with its named databases), transactions and cursors.
//
// Ground rules LMDB imposes, and how we keep them: a transaction belongs to one thread and aborts
// in its destructor unless committed; there is exactly one writer (the persister); the map may
// only be resized while this process has no transaction open, which holds because recovery ends
// its read transaction before the persister starts. MDB_NOTFOUND is an ordinary outcome, so
// operations return the LMDB status code as a value; open_data_dir alone throws, at start-up.

#include "common/file_descriptor.hpp"

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::store {

class lmdb_error : public std::runtime_error {
public:
    lmdb_error(std::string_view operation, int code);
    int code() const { return code_; }

private:
    int code_;
};

inline std::string_view as_view(const MDB_val& value) {
    return {static_cast<const char*>(value.mv_data), value.mv_size};
}

inline MDB_val as_val(std::string_view text) { return {text.size(), const_cast<char*>(text.data())}; }

// One open transaction. Aborts in the destructor unless commit() succeeded.
class lmdb_transaction {
public:
    lmdb_transaction() = default;
    explicit lmdb_transaction(MDB_txn* txn) : txn_(txn) {}
    lmdb_transaction(lmdb_transaction&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
    lmdb_transaction& operator=(lmdb_transaction&& other) noexcept;
    ~lmdb_transaction() { abort(); }

    MDB_txn* get() const { return txn_; }
    int commit();  // the transaction is finished either way
    void abort();

private:
    MDB_txn* txn_ = nullptr;
};

// One cursor of an open transaction. LMDB requires a write transaction's cursors to be closed
// before the transaction ends, so a cursor lives in a scope inside its transaction's.
class lmdb_cursor {
public:
    lmdb_cursor() = default;
    lmdb_cursor(const lmdb_cursor&) = delete;
    lmdb_cursor& operator=(const lmdb_cursor&) = delete;
    ~lmdb_cursor() { close(); }

    int open(MDB_txn* txn, MDB_dbi database) {
        close();
        return mdb_cursor_open(txn, database, &cursor_);
    }
    void close() {
        if (cursor_ != nullptr) mdb_cursor_close(std::exchange(cursor_, nullptr));
    }
    MDB_cursor* get() const { return cursor_; }

private:
    MDB_cursor* cursor_ = nullptr;
};

// The named databases progressd uses, opened once at start.
struct lmdb_databases {
    MDB_dbi records = 0;
    MDB_dbi meta = 0;
    MDB_dbi catalog = 0;
    MDB_dbi enrolments = 0;
    MDB_dbi assessments = 0;
    MDB_dbi webhooks = 0;
    MDB_dbi outbox = 0;
};

// The data dir's LMDB environment plus the named databases progressd uses. Also holds an
// exclusive lock on the data dir, so two servers never share one.
class lmdb_environment {
public:
    lmdb_environment(MDB_env* env, lmdb_databases databases, file_descriptor lock);
    lmdb_environment(lmdb_environment&& other) noexcept;
    lmdb_environment& operator=(lmdb_environment&&) = delete;
    ~lmdb_environment();

    MDB_env* get() const { return env_; }
    MDB_dbi records() const { return databases_.records; }  // key: record_codec's key; value: record_codec's value
    MDB_dbi meta() const { return databases_.meta; }        // format version and other small facts
    MDB_dbi catalog() const { return databases_.catalog; }  // key: content id; value: catalog_codec's value
    MDB_dbi enrolments() const { return databases_.enrolments; }  // enrolment_codec's key and value
    MDB_dbi assessments() const { return databases_.assessments; }  // record key; assessment_codec's value
    MDB_dbi webhooks() const { return databases_.webhooks; }  // key: webhook id; value: event_codec's
    MDB_dbi outbox() const { return databases_.outbox; }      // key: event_outbox::key_of; value: event_codec's

    // Each returns an LMDB status code; `out` is valid when it is MDB_SUCCESS.
    int begin_read(lmdb_transaction& out) const;
    // How a write transaction's commit reaches the disk. data_only (LMDB's per-transaction
    // MDB_NOMETASYNC) syncs its pages but not the meta page that makes it current: that is synced
    // with the next commit's pages, so a crash may undo the transaction but never leaves a meta
    // page pointing at pages not on disk. For every transaction of a batch but its last, which
    // syncs both and so makes the whole batch durable: one sync a transaction instead of two.
    enum class write_sync { full, data_only };
    int begin_write(lmdb_transaction& out, write_sync sync = write_sync::full) const;

    std::size_t map_size() const;
    std::size_t used_bytes() const;
    int set_map_size(std::size_t bytes);  // only while no transaction of this process is open
    // Drops the map's pages from this process's resident set: recovery reads every page once and
    // then never again (the store serves from memory), yet those file pages would count in RSS as
    // long as they stay mapped, ~170 bytes per record. They stay in the page cache, so a later
    // access is a minor fault. Not while another thread may call set_map_size.
    void release_mapped_pages() const;

private:
    MDB_env* env_;
    lmdb_databases databases_;
    file_descriptor lock_;  // held (flock) for the environment's life
};

// The address ranges where this process maps <data_dir>/data.mdb: LMDB does not say where it
// mapped the file (me_mapaddr is set only with MDB_FIXEDMAP), so they are found by the file's name
// in /proc/self/maps. Empty when the file or the maps cannot be read.
std::vector<std::pair<std::uintptr_t, std::uintptr_t>> data_file_mappings(const std::string& data_dir);
// Drops those ranges' pages from the resident set; they stay in the page cache. Advice only: a
// failure leaves the pages resident, which costs memory, not correctness.
void release_mappings(const std::vector<std::pair<std::uintptr_t, std::uintptr_t>>& ranges);

// The on-disk format this build reads and writes; a data dir holding another is refused.
inline constexpr std::string_view data_format_version = "1";

// Takes the exclusive lock (flock on <data_dir>/progressd.lock, created when absent) that a server
// holds on its data dir for its whole life; held until the descriptor closes. Throws
// std::runtime_error when another process holds it or the file cannot be opened. Tools that write
// a data dir (progressctl import, verify --repair, restore) take it too, so they never write
// beside a server, nor a server start beside them.
file_descriptor lock_data_dir(const std::string& data_dir);

// Opens (creating when absent) the LMDB environment in `data_dir`, checks or records the format
// version. Throws lmdb_error or std::runtime_error with what failed.
lmdb_environment open_data_dir(const std::string& data_dir, std::size_t initial_map_size);

}  // namespace progressd::store
