#include "store/persist/lmdb.hpp"

#include "common/errno_error.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <fstream>
#include <cstdio>
#include <utility>

namespace progressd::store {

lmdb_error::lmdb_error(std::string_view operation, int code)
    : std::runtime_error(std::string(operation) + ": " + mdb_strerror(code)), code_(code) {}

lmdb_transaction& lmdb_transaction::operator=(lmdb_transaction&& other) noexcept {
    if (this != &other) {
        abort();
        txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
}

int lmdb_transaction::commit() {
    // mdb_txn_commit frees the handle even when it fails.
    return mdb_txn_commit(std::exchange(txn_, nullptr));
}

void lmdb_transaction::abort() {
    if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

lmdb_environment::lmdb_environment(MDB_env* env, lmdb_databases databases, file_descriptor lock)
    : env_(env), databases_(databases), lock_(std::move(lock)) {}

lmdb_environment::lmdb_environment(lmdb_environment&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)),
      databases_(other.databases_),
      lock_(std::move(other.lock_)) {}

lmdb_environment::~lmdb_environment() {
    if (env_) mdb_env_close(env_);
}

int lmdb_environment::begin_read(lmdb_transaction& out) const {
    MDB_txn* txn = nullptr;
    const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == MDB_SUCCESS) out = lmdb_transaction(txn);
    return rc;
}

int lmdb_environment::begin_write(lmdb_transaction& out, write_sync sync) const {
    MDB_txn* txn = nullptr;
    const int rc = mdb_txn_begin(env_, nullptr, sync == write_sync::data_only ? MDB_NOMETASYNC : 0, &txn);
    if (rc == MDB_SUCCESS) out = lmdb_transaction(txn);
    return rc;
}

std::size_t lmdb_environment::map_size() const {
    MDB_envinfo info{};
    mdb_env_info(env_, &info);
    return info.me_mapsize;
}

std::size_t lmdb_environment::used_bytes() const {
    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    return (info.me_last_pgno + 1) * std::size_t{stat.ms_psize};
}

int lmdb_environment::set_map_size(std::size_t bytes) { return mdb_env_set_mapsize(env_, bytes); }

void lmdb_environment::release_mapped_pages() const {
    const char* dir = nullptr;
    if (mdb_env_get_path(env_, &dir) != MDB_SUCCESS || dir == nullptr) return;
    release_mappings(data_file_mappings(dir));
}

std::vector<std::pair<std::uintptr_t, std::uintptr_t>> data_file_mappings(const std::string& data_dir) {
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges;
    std::error_code ec;
    const auto file = std::filesystem::canonical(std::filesystem::path(data_dir) / "data.mdb", ec);
    if (ec) return ranges;
    std::ifstream maps("/proc/self/maps");
    const std::string suffix = " " + file.string();
    for (std::string line; std::getline(maps, line);) {
        if (!line.ends_with(suffix)) continue;
        unsigned long long begin = 0;
        unsigned long long end = 0;
        if (std::sscanf(line.c_str(), "%llx-%llx", &begin, &end) != 2 || end <= begin) continue;
        ranges.emplace_back(static_cast<std::uintptr_t>(begin), static_cast<std::uintptr_t>(end));
    }
    return ranges;
}

void release_mappings(const std::vector<std::pair<std::uintptr_t, std::uintptr_t>>& ranges) {
    for (const auto& [begin, end] : ranges) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

file_descriptor lock_data_dir(const std::string& data_dir) {
    const std::string path = data_dir + "/progressd.lock";
    file_descriptor lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock.is_open()) throw errno_error("open " + path);
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        throw std::runtime_error("data dir " + data_dir + " is in use by another progressd");
    }
    return lock;
}

namespace {

void check(std::string_view operation, int rc) {
    if (rc != MDB_SUCCESS) throw lmdb_error(operation, rc);
}

// Owns a half-opened environment until open_data_dir hands it to lmdb_environment.
struct env_guard {
    MDB_env* env = nullptr;
    file_descriptor lock;
    ~env_guard() {
        if (env) mdb_env_close(env);
    }
};

void check_format_version(MDB_txn* txn, MDB_dbi meta) {
    MDB_val key = as_val("format_version");
    MDB_val value{};
    const int rc = mdb_get(txn, meta, &key, &value);
    if (rc == MDB_NOTFOUND) {
        MDB_val version = as_val(data_format_version);
        check("mdb_put(format_version)", mdb_put(txn, meta, &key, &version, 0));
        return;
    }
    check("mdb_get(format_version)", rc);
    if (as_view(value) != data_format_version) {
        throw std::runtime_error("data dir format version " + std::string(as_view(value)) + " is not " +
                                 std::string(data_format_version) + " (written by another progressd version)");
    }
}

}  // namespace

lmdb_environment open_data_dir(const std::string& data_dir, std::size_t initial_map_size) {
    std::filesystem::create_directories(data_dir);
    env_guard guard;
    guard.lock = lock_data_dir(data_dir);
    check("mdb_env_create", mdb_env_create(&guard.env));
    check("mdb_env_set_maxdbs", mdb_env_set_maxdbs(guard.env, 8));
    check("mdb_env_set_mapsize", mdb_env_set_mapsize(guard.env, initial_map_size));
    // NOTLS: read transactions are not tied to threads (recovery runs on its own thread).
    check("mdb_env_open " + data_dir, mdb_env_open(guard.env, data_dir.c_str(), MDB_NOTLS, 0600));
    // A map grown by an earlier run stays that size: LMDB adopts the file's size when larger.

    MDB_txn* raw = nullptr;
    check("mdb_txn_begin", mdb_txn_begin(guard.env, nullptr, 0, &raw));
    lmdb_transaction txn(raw);
    // Databases added after format 1 (catalog, enrolments, assessments, webhooks, outbox) are
    // created when absent:
    // an older data dir simply has none of them yet, so the format version stays.
    lmdb_databases databases;
    check("mdb_dbi_open(records)", mdb_dbi_open(txn.get(), "records", MDB_CREATE, &databases.records));
    check("mdb_dbi_open(meta)", mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &databases.meta));
    check("mdb_dbi_open(catalog)", mdb_dbi_open(txn.get(), "catalog", MDB_CREATE, &databases.catalog));
    check("mdb_dbi_open(enrolments)", mdb_dbi_open(txn.get(), "enrolments", MDB_CREATE, &databases.enrolments));
    check("mdb_dbi_open(assessments)", mdb_dbi_open(txn.get(), "assessments", MDB_CREATE, &databases.assessments));
    check("mdb_dbi_open(webhooks)", mdb_dbi_open(txn.get(), "webhooks", MDB_CREATE, &databases.webhooks));
    check("mdb_dbi_open(outbox)", mdb_dbi_open(txn.get(), "outbox", MDB_CREATE, &databases.outbox));
    check_format_version(txn.get(), databases.meta);
    check("mdb_txn_commit", txn.commit());

    return lmdb_environment(std::exchange(guard.env, nullptr), databases, std::move(guard.lock));
}

}  // namespace progressd::store
