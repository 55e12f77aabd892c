#include "tools/ctl_verify.hpp"

#include "tools/ctl_damage.hpp"
#include "tools/ctl_json.hpp"
#include "tools/lmdb_scan.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

namespace progressd::tools {
namespace {

struct verify_options {
    std::string data_dir = "./data";
    bool json = false;
    bool repair = false;
};

// A key as readable text: ids are printable, the '\0' between them shown as '/'.
std::string readable_key(std::string_view key) {
    std::string out;
    for (const char c : key) {
        const auto byte = static_cast<unsigned char>(c);
        out += c == '\0' ? '/' : (byte < 0x20 || byte >= 0x7f) ? '?' : c;
    }
    return out;
}

void print(const verify_options& options, const verify_summary& summary, const std::string& quarantine) {
    if (options.json) {
        std::string out;
        json_object_writer w(out);
        w.string("data_dir", options.data_dir).integer("checked", static_cast<std::int64_t>(summary.checked))
            .integer("damaged_count", static_cast<std::int64_t>(summary.damaged.size()));
        std::string list = "[";
        for (std::size_t i = 0; i < summary.damaged.size(); ++i) {
            const damaged_entry& d = summary.damaged[i];
            if (i > 0) list += ',';
            json_object_writer(list)
                .string("database", database_names[static_cast<std::size_t>(d.database)])
                .string("key", readable_key(d.key))
                .string("key_hex", to_hex(d.key))
                .integer("value_bytes", static_cast<std::int64_t>(d.value.size()))
                .string("reason", d.reason)
                .close();
        }
        list += ']';
        w.raw("damaged", list);
        if (options.repair) {
            if (quarantine.empty()) w.null("quarantine");
            else w.string("quarantine", quarantine);
        }
        w.close();
        std::cout << out << '\n';
        return;
    }
    for (const damaged_entry& d : summary.damaged) {
        std::cout << "damaged " << database_names[static_cast<std::size_t>(d.database)] << ' ' << to_hex(d.key) << ' '
                  << readable_key(d.key) << ": " << d.reason << '\n';
    }
    std::cout << "checked " << summary.checked << " damaged " << summary.damaged.size() << '\n';
    if (!quarantine.empty()) std::cout << "quarantined " << summary.damaged.size() << " to " << quarantine << '\n';
}

// Writes the damaged entries to a new quarantine file in the data dir and syncs it (and the
// directory) before anything is deleted: an entry is never gone from both places.
std::string write_quarantine(const std::string& data_dir, const std::vector<damaged_entry>& damaged) {
    const std::string path = data_dir + "/quarantine-" + utc_now_compact() + ".ndjson";
    const file_descriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!file.is_open()) throw std::runtime_error("create " + path + ": " + std::strerror(errno));
    std::string text;
    const std::string now = utc_now_iso8601();
    for (const damaged_entry& d : damaged) {
        json_object_writer(text)
            .string("database", database_names[static_cast<std::size_t>(d.database)])
            .string("key_hex", to_hex(d.key))
            .string("value_base64", to_base64(d.value))
            .string("reason", d.reason)
            .string("quarantined_at", now)
            .close();
        text += '\n';
    }
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(file.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("write " + path + ": " + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    const file_descriptor directory(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (::fsync(file.get()) != 0 || !directory.is_open() || ::fsync(directory.get()) != 0) {
        throw std::runtime_error("sync " + path + ": " + std::strerror(errno));
    }
    return path;
}

// --repair: under the server's lock, so no server writes meanwhile or starts on a half-repaired dir.
int run_repair(const verify_options& options) {
    if (!std::filesystem::exists(std::filesystem::path(options.data_dir) / "data.mdb")) {
        std::cerr << "progressctl verify: no LMDB data (data.mdb) in " << options.data_dir << '\n';
        return ctl_cannot_run;
    }
    std::optional<store::lmdb_environment> environment;
    try {
        environment.emplace(store::open_data_dir(options.data_dir, std::size_t{1} << 20));
    } catch (const std::exception& error) {
        std::cerr << "progressctl verify --repair: refused: " << error.what();
        // The hint only where it is the reason: a dir of another format is refused stopped too.
        if (data_dir_holder(options.data_dir)) std::cerr << " (stop the server first; verify without --repair works beside it)";
        std::cerr << '\n';
        return ctl_cannot_run;
    }
    verify_summary summary;
    std::string quarantine;
    try {
        const std::array<std::optional<MDB_dbi>, database_count> databases = {
            environment->records(),  environment->catalog(), environment->enrolments(), environment->assessments(),
            environment->webhooks(), environment->outbox(),  environment->meta()};
        {
            store::lmdb_transaction read;
            if (const int rc = environment->begin_read(read); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
            summary = verify_databases(read.get(), databases, [&] { environment->release_mapped_pages(); });
        }
        if (!summary.damaged.empty()) {
            quarantine = write_quarantine(options.data_dir, summary.damaged);
            store::lmdb_transaction write;
            if (const int rc = environment->begin_write(write); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_begin", rc);
            for (const damaged_entry& d : summary.damaged) {
                MDB_val key = store::as_val(d.key);
                const int rc = mdb_del(write.get(), *databases[static_cast<std::size_t>(d.database)], &key, nullptr);
                if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) throw store::lmdb_error("mdb_del", rc);
            }
            if (const int rc = write.commit(); rc != MDB_SUCCESS) throw store::lmdb_error("mdb_txn_commit", rc);
        }
    } catch (const std::exception& error) {
        std::cerr << "progressctl verify --repair: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    print(options, summary, quarantine);
    // Found damage, now repaired: still 1, so a script sees that something was wrong.
    return summary.damaged.empty() ? ctl_ok : ctl_problem;
}

int run_verify(const verify_options& options) {
    if (options.repair) return run_repair(options);
    verify_summary summary;
    try {
        summary = verify_data_dir(options.data_dir);
    } catch (const std::exception& error) {
        std::cerr << "progressctl verify: " << error.what() << '\n';
        return ctl_cannot_run;
    }
    print(options, summary, {});
    return summary.damaged.empty() ? ctl_ok : ctl_problem;
}

}  // namespace

verify_summary verify_databases(MDB_txn* txn, const std::array<std::optional<MDB_dbi>, database_count>& databases,
                                const std::function<void()>& release) {
    verify_summary summary;
    for (std::size_t i = 0; i < database_count; ++i) {
        if (!databases[i]) continue;
        const auto id = static_cast<database_id>(i);
        scan_database(txn, *databases[i], [&](std::string_view key, std::string_view value) {
            if (auto reason = find_damage(id, key, value)) {
                summary.damaged.push_back({id, std::string(key), std::string(value), std::move(*reason)});
            }
            if (++summary.checked % entries_between_releases == 0 && release) release();
        });
    }
    return summary;
}

verify_summary verify_data_dir(const std::string& data_dir) {
    const read_only_data_dir dir(data_dir);
    std::array<std::optional<MDB_dbi>, database_count> databases{};
    for (std::size_t i = 0; i < database_count; ++i) databases[i] = dir.database(static_cast<database_id>(i));
    return verify_databases(dir.txn(), databases, [&dir] { dir.release_pages(); });
}

void add_verify_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<verify_options>();
    auto* command = app.add_subcommand(
        "verify", "decode every value of every database; report the damaged ones by database and key");
    command->footer(std::string(
                        "Output: `damaged <database> <key hex> <key>: <reason>` per damaged entry (the key's \\0 "
                        "separators shown as /), then `checked N damaged M`; --json: one object. Read-only and "
                        "safe beside a server, except --repair, which needs the server stopped (it takes the "
                        "server's lock): damaged entries go to <data-dir>/quarantine-<utc>.ndjson (database, "
                        "key_hex, value_base64, reason), synced, then are deleted from LMDB.\n") +
                    ctl_exit_codes + " (1 also after a repair: damage was found)");
    command->add_option("--data-dir", options->data_dir, "the server's data dir")
        ->envname("PROGRESSD_DATA_DIR")
        ->capture_default_str();
    command->add_flag("--json", options->json, "one JSON object instead of lines");
    command->add_flag("--repair", options->repair, "quarantine and delete the damaged entries (server stopped)");
    command->callback([options, &action] { action = [options] { return run_verify(*options); }; });
}

}  // namespace progressd::tools
