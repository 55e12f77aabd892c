#include "tools/ctl_common.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <stdexcept>

namespace progressd::tools {

std::optional<database_id> database_by_name(std::string_view name) {
    for (std::size_t i = 0; i < database_names.size(); ++i) {
        if (database_names[i] == name) return static_cast<database_id>(i);
    }
    return std::nullopt;
}

read_only_data_dir::read_only_data_dir(const std::string& data_dir) : data_dir_(data_dir) {
    if (!std::filesystem::exists(std::filesystem::path(data_dir) / "data.mdb")) {
        throw std::runtime_error("no LMDB data (data.mdb) in " + data_dir);
    }
    if (const int rc = mdb_env_create(&env_); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_env_create", rc);
    struct closer {
        MDB_env*& env;
        bool done = false;
        ~closer() {
            if (!done) mdb_env_close(std::exchange(env, nullptr));
        }
    } close_on_throw{env_};
    if (const int rc = mdb_env_set_maxdbs(env_, 8); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_env_set_maxdbs", rc);
    // No map size set: LMDB adopts the file's. NORDAHEAD: a scan reads each page once, in order.
    constexpr unsigned flags = MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD;
    if (const int rc = mdb_env_open(env_, data_dir.c_str(), flags, 0600); rc != MDB_SUCCESS) {
        throw store::lmdb_error("mdb_env_open " + data_dir, rc);
    }
    MDB_txn* raw = nullptr;
    if (const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw); rc != MDB_SUCCESS) {
        throw store::lmdb_error("mdb_txn_begin", rc);
    }
    txn_ = store::lmdb_transaction(raw);
    for (std::size_t i = 0; i < database_names.size(); ++i) {
        const std::string name(database_names[i]);
        MDB_dbi dbi = 0;
        const int rc = mdb_dbi_open(raw, name.c_str(), 0, &dbi);
        if (rc == MDB_NOTFOUND) continue;
        if (rc != MDB_SUCCESS) throw store::lmdb_error("mdb_dbi_open(" + name + ")", rc);
        dbis_[i] = dbi;
    }
    close_on_throw.done = true;
}

read_only_data_dir::~read_only_data_dir() {
    txn_.abort();
    if (env_) mdb_env_close(env_);
}

std::optional<std::string> read_only_data_dir::meta(std::string_view key) const {
    const auto dbi = database(database_id::meta);
    if (!dbi) return std::nullopt;
    MDB_val k = store::as_val(key);
    MDB_val value{};
    const int rc = mdb_get(txn(), *dbi, &k, &value);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != MDB_SUCCESS) throw store::lmdb_error("mdb_get(meta)", rc);
    return std::string(store::as_view(value));
}

void read_only_data_dir::release_pages() const {
    // Found once: LMDB maps the file at open and never moves a read-only map.
    if (!map_found_) {
        map_found_ = true;
        maps_ = store::data_file_mappings(data_dir_);
    }
    store::release_mappings(maps_);
}

std::optional<file_descriptor> try_lock_data_dir(const std::string& data_dir, std::string& why) {
    try {
        return store::lock_data_dir(data_dir);
    } catch (const std::exception& error) {
        why = error.what();
        return std::nullopt;
    }
}

std::optional<long> data_dir_holder(const std::string& data_dir) {
    struct stat info {};
    if (::stat((data_dir + "/progressd.lock").c_str(), &info) != 0) return std::nullopt;
    // Lines like "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF"; a waiting lock has "->".
    std::ifstream locks("/proc/locks");
    for (std::string line; std::getline(locks, line);) {
        std::istringstream fields(line);
        std::string number, type, mode, access, device;
        long pid = 0;
        if (!(fields >> number >> type) || type == "->" || type != "FLOCK") continue;
        if (!(fields >> mode >> access >> pid >> device)) continue;
        const auto last_colon = device.rfind(':');
        if (last_colon == std::string::npos) continue;
        if (std::strtoull(device.c_str() + last_colon + 1, nullptr, 10) == info.st_ino) return pid;
    }
    return std::nullopt;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = nibble(hex[i]);
        const int low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

std::string to_base64(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16 |
                                std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                                static_cast<unsigned char>(bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(n >> shift) & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) n |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

namespace {

std::string format_utc(const char* format) {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm parts{};
    ::gmtime_r(&now, &parts);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, format, &parts);
    return std::string(text, n);
}

}  // namespace

std::string utc_now_iso8601() { return format_utc("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_now_compact() { return format_utc("%Y%m%dT%H%M%SZ"); }

}  // namespace progressd::tools
