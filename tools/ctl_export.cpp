#include "tools/ctl_export.hpp"

#include "common/errno_error.hpp"
#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "store/ids.hpp"
#include "tools/ctl_damage.hpp"
#include "tools/ctl_ndjson.hpp"
#include "tools/lmdb_scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace progressd::tools {
namespace {

struct export_options {
    std::string data_dir = "./data";
    std::vector<std::string> users;
    std::vector<std::string> collections;
    std::string out = "-";
};

// Buffered writes to stdout or to a file written beside its final name and renamed into place
// once complete and synced, so a failed export never leaves a truncated file under that name.
// What exists and is not a regular file (/dev/null, a FIFO) is written in place: renaming over it
// would replace a device with a file.
class line_sink {
public:
    explicit line_sink(const std::string& path) : path_(path) {
        if (path == "-") {
            fd_ = STDOUT_FILENO;
            return;
        }
        struct stat info {};
        if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
            fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd_ < 0) throw errno_error("open " + path);
            owned_ = true;
            return;
        }
        temp_ = path + ".partial";
        fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd_ < 0) throw errno_error("create " + temp_);
    }
    ~line_sink() {
        if (owned_) ::close(fd_);
        if (!temp_.empty()) {
            ::close(fd_);
            if (!finished_) ::unlink(temp_.c_str());
        }
    }
    std::string& buffer() { return buffer_; }
    void maybe_flush() {
        if (buffer_.size() >= (std::size_t{1} << 20)) flush();
    }
    void finish() {
        flush();
        if (temp_.empty()) return;
        if (::fsync(fd_) != 0) throw errno_error("fsync " + temp_);
        if (::rename(temp_.c_str(), path_.c_str()) != 0) throw errno_error("rename to " + path_);
        finished_ = true;
    }

private:
    void flush() {
        for (std::size_t done = 0; done < buffer_.size();) {
            const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw errno_error("write " + path_);
            done += static_cast<std::size_t>(n);
        }
        buffer_.clear();
    }

    std::string path_;
    std::string temp_;
    int fd_ = -1;
    bool owned_ = false;  // opened in place, closed here
    bool finished_ = false;
    std::string buffer_;
};

// The ids --collection selects: each collection and everything below it in the catalog (its
// `children`, recursively, and the entries naming it as `parent_id`), as aggregation sees it.
std::set<std::string, std::less<>> collection_closure(const std::vector<store::content_entry>& catalog,
                                                      const std::vector<std::string>& roots) {
    std::map<std::string, std::vector<std::string>, std::less<>> below;
    for (const auto& entry : catalog) {
        auto& children = below[entry.id];
        children.insert(children.end(), entry.children.begin(), entry.children.end());
        if (!entry.parent_id.empty()) below[entry.parent_id].push_back(entry.id);
    }
    std::set<std::string, std::less<>> selected;
    std::deque<std::string> queue(roots.begin(), roots.end());
    while (!queue.empty()) {
        std::string id = std::move(queue.front());
        queue.pop_front();
        if (!selected.insert(id).second) continue;  // a cycle, or reached twice
        if (const auto found = below.find(id); found != below.end()) queue.insert(queue.end(), found->second.begin(), found->second.end());
    }
    return selected;
}

class exporter {
public:
    exporter(const read_only_data_dir& dir, const export_options& options, line_sink& sink)
        : dir_(dir), options_(options), sink_(sink) {}

    std::size_t damaged() const { return damaged_; }
    std::size_t lines() const { return lines_; }

    void run() {
        std::vector<store::content_entry> catalog;
        if (const auto dbi = dir_.database(database_id::catalog)) {
            scan_database(dir_.txn(), *dbi, [&](std::string_view key, std::string_view value) {
                if (auto entry = store::decode_catalog_entry(key, value)) catalog.push_back(std::move(*entry));
                else report_damage(database_id::catalog, key, value);
            });
        }
        const bool by_collection = !options_.collections.empty();
        if (by_collection) selected_ = collection_closure(catalog, options_.collections);
        for (const auto& entry : catalog) {
            if (!by_collection || selected_.contains(entry.id)) emit([&](std::string& out) { append_line(out, entry); });
        }
        catalog = {};

        each(database_id::records, [&](std::string_view key, std::string_view value) {
            const auto parts = store::decode_key(key);
            const auto record = store::decode_record(value);
            if (!record || find_damage(database_id::records, key, value)) return report_damage(database_id::records, key, value);
            if (by_collection && !selected_.contains(parts->content_id)) return;
            emit([&](std::string& out) {
                append_line(out, parts->user_id, store::record_key{std::string(parts->context_id), std::string(parts->content_id)}, *record);
            });
        });
        each(database_id::enrolments, [&](std::string_view key, std::string_view value) {
            const auto parts = store::decode_enrolment_key(key);
            const auto decoded = store::decode_enrolment(value);
            if (!parts || !decoded) return report_damage(database_id::enrolments, key, value);
            if (by_collection && !selected_.contains(parts->collection_id)) return;
            emit([&](std::string& out) {
                append_line(out, parts->user_id, store::enrolment_key{std::string(parts->collection_id), std::string(parts->context_id)}, *decoded);
            });
        });
        each(database_id::assessments, [&](std::string_view key, std::string_view value) {
            const auto parts = store::decode_key(key);
            const auto state = store::decode_assessment_state(value);
            if (!state || find_damage(database_id::assessments, key, value)) return report_damage(database_id::assessments, key, value);
            if (by_collection && !selected_.contains(parts->content_id)) return;
            emit([&](std::string& out) {
                append_line(out, parts->user_id, store::record_key{std::string(parts->context_id), std::string(parts->content_id)}, *state);
            });
        });
    }

private:
    // Every entry of a per-user database, or with --user only those users' (a seek per user).
    template <class Visit>
    void each(database_id id, Visit&& visit) {
        const auto dbi = dir_.database(id);
        if (!dbi) return;
        if (options_.users.empty()) {
            scan_database(dir_.txn(), *dbi, visit);
            return;
        }
        std::set<std::string> users(options_.users.begin(), options_.users.end());
        for (const auto& user : users) scan_prefix(dir_.txn(), *dbi, user + std::string(1, '\0'), visit);
    }

    template <class Write>
    void emit(Write&& write) {
        write(sink_.buffer());
        sink_.maybe_flush();
        if (++lines_ % entries_between_releases == 0) dir_.release_pages();
    }

    void report_damage(database_id id, std::string_view key, std::string_view) {
        ++damaged_;
        std::cerr << "progressctl export: skipped a damaged " << database_names[static_cast<std::size_t>(id)]
                  << " entry, key " << to_hex(key) << " (progressctl verify lists them all)\n";
    }

    const read_only_data_dir& dir_;
    const export_options& options_;
    line_sink& sink_;
    std::set<std::string, std::less<>> selected_;
    std::size_t damaged_ = 0;
    std::size_t lines_ = 0;
};

int run_export(const export_options& options) {
    for (const auto& id : options.users) {
        if (!store::is_valid_id(id)) {
            std::cerr << "progressctl export: --user " << id << " is not a valid id\n";
            return ctl_cannot_run;
        }
    }
    try {
        const read_only_data_dir dir(options.data_dir);
        line_sink sink(options.out);
        exporter run(dir, options, sink);
        run.run();
        sink.finish();
        std::cerr << "progressctl export: " << run.lines() << " lines";
        if (run.damaged() > 0) std::cerr << ", " << run.damaged() << " damaged entries skipped";
        std::cerr << '\n';
        return run.damaged() == 0 ? ctl_ok : ctl_problem;
    } catch (const std::exception& error) {
        std::cerr << "progressctl export: " << error.what() << '\n';
        return ctl_cannot_run;
    }
}

}  // namespace

void add_export_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<export_options>();
    auto* command = app.add_subcommand("export",
                                       "write the catalog, records, enrolments and assessments as NDJSON (read-only; "
                                       "safe while a server runs)");
    command->footer(std::string("Output: one JSON object per line, `kind` first: catalog entries, then records, "
                                "enrolments, assessments, each in key order (docs/progressctl.md has the schema). "
                                "Damaged entries are skipped and named on stderr (exit 1). Webhooks and the "
                                "outbox are not exported.\n") + ctl_exit_codes);
    command->add_option("--data-dir", options->data_dir, "the server's data dir")
        ->envname("PROGRESSD_DATA_DIR")
        ->capture_default_str();
    command->add_option("--user", options->users, "only this user's records, enrolments and assessments (repeatable)");
    command->add_option("--collection", options->collections,
                        "only this collection and what is below it in the catalog: its entries, the records and "
                        "assessments on them, the enrolments in them (repeatable)");
    command->add_option("--out", options->out, "file to write (written beside, then renamed), - for stdout")
        ->capture_default_str();
    command->callback([options, &action] { action = [options] { return run_export(*options); }; });
}

}  // namespace progressd::tools
