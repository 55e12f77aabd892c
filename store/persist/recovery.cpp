#include "store/persist/recovery.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/ids.hpp"

namespace progressd::store {
namespace {


// Logs only the first few corrupt entries: a badly damaged file must not flood the log.
constexpr std::size_t corrupt_entries_logged = 10;

// Calls `load(key, value)` for every entry of `database` in one read transaction; `load` returns
// false for an entry it could not decode, which is counted, logged as `event`, and skipped.
template <class Load>
recovery_result scan(const lmdb_environment& environment, MDB_dbi database, std::string_view event,
                     const logger& log, Load load) {
    const auto started = std::chrono::steady_clock::now();
    recovery_result result;
    lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw lmdb_error("mdb_txn_begin", rc);
    lmdb_cursor cursor;
    if (const int rc = cursor.open(txn.get(), database); rc != MDB_SUCCESS) {
        throw lmdb_error("mdb_cursor_open", rc);
    }
    MDB_val key{};
    MDB_val value{};
    int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
        if (load(as_view(key), as_view(value))) {
            ++result.records;
        } else if (++result.corrupt <= corrupt_entries_logged) {
            log.warn(event, {{"key_bytes", std::int64_t(key.mv_size)}, {"value_bytes", std::int64_t(value.mv_size)}});
        }
    }
    if (rc != MDB_NOTFOUND) throw lmdb_error("mdb_cursor_get", rc);
    environment.release_mapped_pages();
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace

recovery_result recover(const lmdb_environment& environment, progress_store& store, const logger& log) {
    const auto started = std::chrono::steady_clock::now();
    recovery_result result;

    lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw lmdb_error("mdb_txn_begin", rc);
    lmdb_cursor cursor;
    if (const int rc = cursor.open(txn.get(), environment.records()); rc != MDB_SUCCESS) {
        throw lmdb_error("mdb_cursor_open", rc);
    }

    MDB_val key{};
    MDB_val value{};
    std::string loading_user;
    int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
        const auto parts = decode_key(as_view(key));
        auto record = decode_record(as_view(value));
        const bool valid = parts && record && is_valid_id(parts->user_id) && is_valid_context_id(parts->context_id) &&
                           is_valid_id(parts->content_id);
        if (!valid) {
            if (++result.corrupt <= corrupt_entries_logged) {
                log.warn("corrupt_record_skipped", {{"key_bytes", std::int64_t(key.mv_size)},
                                                    {"value_bytes", std::int64_t(value.mv_size)}});
            }
            continue;
        }
        // Keys sort by user first: a new user id means the previous user is whole.
        if (parts->user_id != loading_user) {
            if (!loading_user.empty()) store.loaded(loading_user);
            loading_user.assign(parts->user_id);
        }
        store.load(parts->user_id, record_key{std::string(parts->context_id), std::string(parts->content_id)},
                   *record);
        ++result.records;
    }
    if (rc != MDB_NOTFOUND) throw lmdb_error("mdb_cursor_get", rc);
    if (!loading_user.empty()) store.loaded(loading_user);
    environment.release_mapped_pages();

    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return result;
}

recovery_result recover_catalog(const lmdb_environment& environment, catalog& contents, const logger& log) {
    std::vector<content_entry> entries;
    auto result = scan(environment, environment.catalog(), "corrupt_catalog_entry_skipped", log,
                       [&](std::string_view key, std::string_view value) {
                           auto entry = decode_catalog_entry(key, value);
                           if (entry) entries.push_back(std::move(*entry));
                           return entry.has_value();
                       });
    contents.load(std::move(entries));
    return result;
}

recovery_result recover_enrolments(const lmdb_environment& environment, enrolment_store& enrolments,
                                   const logger& log) {
    return scan(environment, environment.enrolments(), "corrupt_enrolment_skipped", log,
                [&](std::string_view key, std::string_view value) {
                    const auto parts = decode_enrolment_key(key);
                    const auto decoded = decode_enrolment(value);
                    if (!parts || !decoded) return false;
                    enrolments.load(parts->user_id,
                                    store::enrolment_key{std::string(parts->collection_id), std::string(parts->context_id)},
                                    *decoded);
                    return true;
                });
}

recovery_result recover_assessments(const lmdb_environment& environment, assessment_store& assessments,
                                    const logger& log) {
    return scan(environment, environment.assessments(), "corrupt_assessment_skipped", log,
                [&](std::string_view key, std::string_view value) {
                    const auto parts = decode_key(key);
                    auto decoded = decode_assessment_state(value);
                    if (!parts || !decoded || !is_valid_id(parts->user_id) ||
                        !is_valid_context_id(parts->context_id) || !is_valid_id(parts->content_id)) {
                        return false;
                    }
                    assessments.load(parts->user_id,
                                     record_key{std::string(parts->context_id), std::string(parts->content_id)},
                                     std::move(*decoded));
                    return true;
                });
}

recovery_result recover_webhooks(const lmdb_environment& environment, webhook_registry& webhooks, const logger& log) {
    return scan(environment, environment.webhooks(), "corrupt_webhook_skipped", log,
                [&](std::string_view key, std::string_view value) {
                    auto decoded = decode_webhook(key, value);
                    if (decoded) webhooks.load(std::move(*decoded));
                    return decoded.has_value();
                });
}

recovery_result recover_outbox(const lmdb_environment& environment, event_outbox& outbox, const logger& log) {
    return scan(environment, environment.outbox(), "corrupt_delivery_skipped", log,
                [&](std::string_view key, std::string_view value) {
                    auto decoded = decode_delivery(value);
                    if (decoded) outbox.load(std::string(key), std::move(*decoded));
                    return decoded.has_value();
                });
}

}  // namespace progressd::store
