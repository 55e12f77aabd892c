#include "tools/pg_move_verify.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/event_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/postgres/assessment_rows.hpp"
#include "store/postgres/catalog_rows.hpp"
#include "store/postgres/enrolment_rows.hpp"
#include "store/postgres/outbox_rows.hpp"
#include "store/postgres/record_rows.hpp"
#include "store/postgres/webhook_rows.hpp"
#include "tools/lmdb_scan.hpp"

#include <charconv>
#include <unordered_map>

namespace progressd::tools {
namespace {

constexpr std::size_t max_described = 20;

// A key made printable for a report: the codecs separate ids with '\0'.
std::string printable(std::string_view key) {
    std::string out(key);
    for (char& c : out) {
        if (c == '\0') c = '/';
    }
    return out;
}

// One kind's comparison: the PostgreSQL side's entries wait in `expected_` (key and value in the
// canonical encoding) until the LMDB entry of the same key arrives and takes its match out.
class matcher {
public:
    matcher(std::string_view kind, verify_report& report) : kind_(kind), report_(report) {}

    void expect(std::string key, std::string value) { expected_.insert_or_assign(std::move(key), std::move(value)); }

    void check(const std::string& key, const std::string& value) {
        ++report_.compared;
        const auto found = expected_.find(key);
        if (found == expected_.end()) {
            differ("only in LMDB", key);
        } else {
            if (found->second != value) differ("differs", key);
            expected_.erase(found);
        }
    }

    // What PostgreSQL holds and LMDB did not.
    void finish() {
        for (const auto& [key, value] : expected_) differ("only in PostgreSQL", key);
        expected_.clear();
    }

private:
    void differ(std::string_view how, std::string_view key) {
        if (++report_.difference_count <= max_described) {
            report_.differences.push_back(std::string(kind_) + " " + printable(key) + ": " + std::string(how));
        }
    }

    std::string_view kind_;
    verify_report& report_;
    std::unordered_map<std::string, std::string> expected_;
};

std::uint64_t count_rows(store::connection& conn, std::string_view table) {
    const auto result = take(conn.exec("SELECT count(*) FROM " + std::string(table)), table);
    const auto text = result.text(0, 0).value_or("");
    std::uint64_t count = 0;
    std::from_chars(text.data(), text.data() + text.size(), count);
    return count;
}

std::uint64_t count_entries(MDB_txn* txn, MDB_dbi dbi) {
    MDB_stat stat{};
    if (const int rc = mdb_stat(txn, dbi, &stat); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_stat", rc);
    return stat.ms_entries;
}

[[noreturn]] void undecodable(std::string_view kind, std::string_view key) {
    throw std::runtime_error(std::string(kind) + ": the LMDB entry " + printable(key) + " does not decode");
}

// Records, enrolments and assessment states: keyed by user first, so one user's entries are
// consecutive in LMDB; each user's rows are loaded from PostgreSQL when the scan reaches the user.
template <class DecodeUser, class LoadUser, class Canonical>
void compare_by_user(MDB_txn* txn, MDB_dbi dbi, std::string_view kind, verify_report& report, DecodeUser decode_user,
                     LoadUser load_user, Canonical canonical) {
    matcher match(kind, report);
    std::string user;
    scan_database(txn, dbi, [&](std::string_view key, std::string_view value) {
        const auto owner = decode_user(key);
        if (!owner) undecodable(kind, key);
        if (*owner != user) {
            match.finish();
            user = *owner;
            load_user(user, match);
        }
        auto entry = canonical(key, value);
        if (!entry) undecodable(kind, key);
        match.check(entry->first, entry->second);
    });
    match.finish();
}

using canonical_entry = std::optional<std::pair<std::string, std::string>>;

void compare_records(MDB_txn* txn, const store::lmdb_environment& env, store::connection& conn, verify_report& report) {
    compare_by_user(
        txn, env.records(), "records", report,
        [](std::string_view key) -> std::optional<std::string> {
            const auto decoded = store::decode_key(key);
            return decoded ? std::optional<std::string>(decoded->user_id) : std::nullopt;
        },
        [&](const std::string& user, matcher& match) {
            for (const auto& loaded : take(store::load_user(conn, user), "load records of " + user)) {
                std::string key, value;
                store::encode_key(key, user, loaded.key);
                store::encode_record(value, loaded.record);
                match.expect(std::move(key), std::move(value));
            }
        },
        [](std::string_view key, std::string_view value) -> canonical_entry {
            const auto decoded = store::decode_key(key);
            const auto record = store::decode_record(value);
            if (!decoded || !record) return std::nullopt;
            std::pair<std::string, std::string> entry;
            store::encode_key(entry.first, decoded->user_id, {std::string(decoded->context_id), std::string(decoded->content_id)});
            store::encode_record(entry.second, *record);
            return entry;
        });
}

void compare_enrolments(MDB_txn* txn, const store::lmdb_environment& env, store::connection& conn,
                        verify_report& report) {
    compare_by_user(
        txn, env.enrolments(), "enrolments", report,
        [](std::string_view key) -> std::optional<std::string> {
            const auto decoded = store::decode_enrolment_key(key);
            return decoded ? std::optional<std::string>(decoded->user_id) : std::nullopt;
        },
        [&](const std::string& user, matcher& match) {
            for (const auto& loaded : take(store::load_user_enrolments(conn, user), "load enrolments of " + user)) {
                match.expect(store::encode_enrolment_key(user, loaded.key), store::encode_enrolment(loaded.value));
            }
        },
        [](std::string_view key, std::string_view value) -> canonical_entry {
            const auto decoded = store::decode_enrolment_key(key);
            const auto enrolment = store::decode_enrolment(value);
            if (!decoded || !enrolment) return std::nullopt;
            const store::enrolment_key canonical_key{std::string(decoded->collection_id), std::string(decoded->context_id)};
            return std::pair{store::encode_enrolment_key(decoded->user_id, canonical_key), store::encode_enrolment(*enrolment)};
        });
}

void compare_assessments(MDB_txn* txn, const store::lmdb_environment& env, store::connection& conn,
                         verify_report& report) {
    compare_by_user(
        txn, env.assessments(), "assessments", report,
        [](std::string_view key) -> std::optional<std::string> {
            const auto decoded = store::decode_key(key);
            return decoded ? std::optional<std::string>(decoded->user_id) : std::nullopt;
        },
        [&](const std::string& user, matcher& match) {
            for (const auto& loaded : take(store::load_user_assessments(conn, user), "load assessments of " + user)) {
                std::string key;
                store::encode_key(key, user, loaded.key);
                match.expect(std::move(key), store::encode_assessment_state(loaded.state));
            }
        },
        [](std::string_view key, std::string_view value) -> canonical_entry {
            const auto decoded = store::decode_key(key);
            const auto state = store::decode_assessment_state(value);
            if (!decoded || !state) return std::nullopt;
            std::pair<std::string, std::string> entry;
            store::encode_key(entry.first, decoded->user_id, {std::string(decoded->context_id), std::string(decoded->content_id)});
            entry.second = store::encode_assessment_state(*state);
            return entry;
        });
}

// The catalog, the webhooks and the outbox: PostgreSQL's whole table first, then the LMDB scan.
template <class Canonical>
void compare_whole(MDB_txn* txn, MDB_dbi dbi, std::string_view kind, matcher& match, Canonical canonical) {
    scan_database(txn, dbi, [&](std::string_view key, std::string_view value) {
        auto encoded = canonical(key, value);
        if (!encoded) undecodable(kind, key);
        match.check(std::string(key), *encoded);
    });
    match.finish();
}

void compare_shared(MDB_txn* txn, const store::lmdb_environment& env, store::connection& conn, verify_report& report) {
    {
        matcher match("catalog", report);
        for (const auto& entry : take(store::load_catalog(conn), "load the catalog")) {
            match.expect(entry.id, store::encode_catalog_entry(entry));
        }
        compare_whole(txn, env.catalog(), "catalog", match, [](std::string_view key, std::string_view value) {
            const auto entry = store::decode_catalog_entry(key, value);
            return entry ? std::optional(store::encode_catalog_entry(*entry)) : std::nullopt;
        });
    }
    {
        matcher match("webhooks", report);
        for (const auto& hook : take(store::load_webhooks(conn), "load the webhooks")) {
            match.expect(hook.id, store::encode_webhook(hook));
        }
        compare_whole(txn, env.webhooks(), "webhooks", match, [](std::string_view key, std::string_view value) {
            const auto hook = store::decode_webhook(key, value);
            return hook ? std::optional(store::encode_webhook(*hook)) : std::nullopt;
        });
    }
    {
        matcher match("outbox", report);
        for (const auto& loaded : take(store::load_outbox(conn), "load the outbox")) {
            match.expect(loaded.key, store::encode_delivery(loaded.value));
        }
        compare_whole(txn, env.outbox(), "outbox", match, [](std::string_view, std::string_view value) {
            const auto delivery = store::decode_delivery(value);
            return delivery ? std::optional(store::encode_delivery(*delivery)) : std::nullopt;
        });
    }
}

}  // namespace

verify_report verify_move(const store::lmdb_environment& environment, store::connection& conn) {
    verify_report report;
    store::lmdb_transaction txn;
    if (const int rc = environment.begin_read(txn); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
    const MDB_dbi databases[] = {environment.records(),     environment.catalog(),  environment.enrolments(),
                                 environment.assessments(), environment.webhooks(), environment.outbox()};
    for (std::size_t i = 0; i < std::size(moved_kinds); ++i) {
        report.counts.push_back({moved_kinds[i], count_entries(txn.get(), databases[i]), count_rows(conn, moved_kinds[i])});
        if (report.counts.back().lmdb != report.counts.back().postgres) {
            ++report.difference_count;
            report.differences.push_back(std::string(moved_kinds[i]) + ": the counts differ");
        }
    }
    compare_records(txn.get(), environment, conn, report);
    compare_enrolments(txn.get(), environment, conn, report);
    compare_assessments(txn.get(), environment, conn, report);
    compare_shared(txn.get(), environment, conn, report);
    return report;
}

}  // namespace progressd::tools
