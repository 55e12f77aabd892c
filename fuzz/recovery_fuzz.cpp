// Harness: start-up recovery from a damaged LMDB value (store/persist/recovery.hpp). Each input becomes
// one entry of a real LMDB data dir, beside one intact record; then the four recover functions
// load everything into fresh stores, as main does at start.
//
// Input: byte 0 picks the database (bits 0-1: records, catalog, enrolments, assessments) and,
// with bit 2 set, that the key comes from the input too (byte 1 its length, then the key); the
// rest is the value. Without bit 2 the key is a valid one for that database, so the fuzzer spends
// its time on values.
//
// Checks: recovery never throws and never crashes; every entry is either loaded or counted as
// corrupt; the intact record always loads; and a fuzzed record that loads is exactly what its
// bytes say (it encodes back to them), so the next flush will not rewrite it into something else.

#include "store/assessments.hpp"
#include "store/catalog.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/enrolments.hpp"
#include "store/persist/lmdb.hpp"
#include "store/persist/recovery.hpp"
#include "store/progress_store.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

using namespace progressd;
using namespace progressd::store;

namespace {

const std::string user = "fuzz-user";
const std::string content = "fuzz-content";
const std::string intact_user = "intact-user";

void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "recovery_fuzz: %s\n", what);
    std::abort();
}

void check_lmdb(int rc, const char* what) {
    if (rc == MDB_SUCCESS) return;
    std::fprintf(stderr, "recovery_fuzz: %s: %s\n", what, mdb_strerror(rc));
    std::abort();
}

// One data dir for the whole run (in /dev/shm when there is one), emptied before each input.
// Commits skip fsync: a crash of this process is not what is tested here. The directory is
// removed as soon as LMDB has its files open (they live on, unlinked, until the process ends), so
// a run that stops at a crash leaves nothing behind.
struct data_dir {
    std::optional<lmdb_environment> environment;

    data_dir() {
        const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string pattern = (base / "progressd-recovery-fuzz-XXXXXX").string();
        require(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
        environment.emplace(open_data_dir(pattern, std::size_t{64} << 20));
        check_lmdb(mdb_env_set_flags(environment->get(), MDB_NOSYNC, 1), "mdb_env_set_flags");
        std::filesystem::remove_all(pattern);
    }
};

data_dir& the_data_dir() {
    static data_dir instance;
    return instance;
}

std::string valid_key(MDB_dbi database, const lmdb_environment& environment) {
    std::string key;
    if (database == environment.catalog()) return content;
    if (database == environment.enrolments()) return encode_enrolment_key(user, enrolment_key{"fuzz-collection", ""});
    encode_key(key, user, record_key{"", content});
    return key;
}

progress_record intact_record() {
    progress_record record;
    record.record_id[0] = 0x42;
    record.status = progress_status::in_progress;
    record.position_seconds = 12;
    record.duration_seconds = 100;
    record.progress_percent = 12;
    return record;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto& environment = *the_data_dir().environment;
    const MDB_dbi databases[] = {environment.records(), environment.catalog(), environment.enrolments(),
                                 environment.assessments()};
    const MDB_dbi database = databases[data[0] & 3];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string key = valid_key(database, environment);
    if ((data[0] & 4) != 0 && !rest.empty()) {
        const std::size_t length = std::min<std::size_t>(static_cast<std::uint8_t>(rest[0]), rest.size() - 1);
        key.assign(rest.substr(1, length));
        rest.remove_prefix(1 + length);
        if (key.empty()) return 0;  // LMDB refuses empty keys: not a value recovery can meet
    }
    const std::string value(rest);

    std::string intact_key;
    encode_key(intact_key, intact_user, record_key{"", content});
    std::string intact_value;
    encode_record(intact_value, intact_record());
    const bool fuzzed_is_intact_key = database == environment.records() && key == intact_key;

    {
        lmdb_transaction txn;
        check_lmdb(environment.begin_write(txn), "begin_write");
        for (const MDB_dbi each : databases) check_lmdb(mdb_drop(txn.get(), each, 0), "mdb_drop");
        MDB_val intact_k = as_val(intact_key);
        MDB_val intact_v = as_val(intact_value);
        check_lmdb(mdb_put(txn.get(), environment.records(), &intact_k, &intact_v, 0), "mdb_put(intact)");
        MDB_val k = as_val(key);
        MDB_val v = as_val(value);
        const int rc = mdb_put(txn.get(), database, &k, &v, 0);
        if (rc == MDB_BAD_VALSIZE) return 0;  // a key over LMDB's limit: cannot be on disk
        check_lmdb(rc, "mdb_put(fuzzed)");
        check_lmdb(txn.commit(), "commit");
    }

    const logger quiet(log_level::error);  // corrupt entries are expected: keep the output readable
    progress_store records(2, merge_rules{});
    catalog contents(records.generation_counter());
    enrolment_store enrolments(2, records.generation_counter());
    assessment_store assessments(2, records.generation_counter());
    const auto loaded = recover(environment, records, quiet);
    const auto catalog_loaded = recover_catalog(environment, contents, quiet);
    const auto enrolments_loaded = recover_enrolments(environment, enrolments, quiet);
    const auto assessments_loaded = recover_assessments(environment, assessments, quiet);

    const std::size_t record_entries = database == environment.records() && !fuzzed_is_intact_key ? 2 : 1;
    require(loaded.records + loaded.corrupt == record_entries, "a record entry was neither loaded nor counted");
    const std::pair<const recovery_result*, MDB_dbi> others[] = {{&catalog_loaded, environment.catalog()},
                                                                 {&enrolments_loaded, environment.enrolments()},
                                                                 {&assessments_loaded, environment.assessments()}};
    for (const auto& [result, each] : others) {
        const std::size_t entries = database == each ? 1 : 0;
        require(result->records + result->corrupt == entries, "an entry was neither loaded nor counted");
    }
    if (!fuzzed_is_intact_key) {
        const auto intact = records.find(intact_user, "", content);
        require(intact.has_value(), "a damaged entry stopped an intact record from loading");
        std::string encoded;
        encode_record(encoded, *intact);
        require(encoded == intact_value, "the intact record changed through recovery");
    }
    if (database == environment.records()) {
        const auto parts = decode_key(key);
        const auto found = parts ? records.find(parts->user_id, parts->context_id, parts->content_id) : std::nullopt;
        if (found) {
            std::string encoded;
            encode_record(encoded, *found);
            require(encoded == value, "a loaded record is not what its bytes say");
        }
    }
    return 0;
}
