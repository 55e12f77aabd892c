#include "tools/ctl_import.hpp"

#include "store/codec/assessment_codec.hpp"
#include "store/codec/catalog_codec.hpp"
#include "store/codec/enrolment_codec.hpp"
#include "store/codec/record_codec.hpp"
#include "tools/ctl_import_http.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace progressd::tools {
namespace {

struct import_options {
    std::string data_dir;
    std::string in = "-";
    std::string url;
    std::string api_key;
    std::size_t batch = 10000;
};

// Entries encoded and waiting for the next transaction; kept until it commits so that a batch
// that found the map full is written again, whole, after the map grew.
class batch_writer {
public:
    batch_writer(store::lmdb_environment& environment, std::size_t batch) : environment_(environment), batch_(batch) {}

    void add(const export_item& item) {
        pending_.emplace_back();
        auto& [dbi, key, value] = pending_.back();
        std::visit(
            [&](const auto& one) {
                using type = std::decay_t<decltype(one)>;
                if constexpr (std::is_same_v<type, store::content_entry>) {
                    dbi = environment_.catalog();
                    key = one.id;
                    value = store::encode_catalog_entry(one);
                } else if constexpr (std::is_same_v<type, record_item>) {
                    dbi = environment_.records();
                    store::encode_key(key, one.user_id, one.key);
                    store::encode_record(value, one.record);
                } else if constexpr (std::is_same_v<type, enrolment_item>) {
                    dbi = environment_.enrolments();
                    key = store::encode_enrolment_key(one.user_id, one.key);
                    value = store::encode_enrolment(one.value);
                } else {
                    dbi = environment_.assessments();
                    store::encode_key(key, one.user_id, one.key);
                    value = store::encode_assessment_state(one.state);
                }
            },
            item);
        if (pending_.size() >= batch_) flush();
    }

    void flush() {
        if (pending_.empty()) return;
        int rc = write();
        while (rc == MDB_MAP_FULL) {
            // No transaction of ours is open here, as mdb_env_set_mapsize requires.
            if (const int grown = environment_.set_map_size(environment_.map_size() * 2); grown != MDB_SUCCESS) {
                throw store::lmdb_error("mdb_env_set_mapsize", grown);
            }
            rc = write();
        }
        if (rc != MDB_SUCCESS) throw store::lmdb_error("writing a batch", rc);
        written_ += pending_.size();
        pending_.clear();
    }

    std::size_t written() const { return written_; }

private:
    int write() {
        store::lmdb_transaction txn;
        if (const int rc = environment_.begin_write(txn); rc != MDB_SUCCESS) return rc;
        for (auto& [dbi, key, value] : pending_) {
            MDB_val k = store::as_val(key);
            MDB_val v = store::as_val(value);
            if (const int rc = mdb_put(txn.get(), dbi, &k, &v, 0); rc != MDB_SUCCESS) return rc;
        }
        return txn.commit();
    }

    store::lmdb_environment& environment_;
    std::size_t batch_;
    std::vector<std::tuple<MDB_dbi, std::string, std::string>> pending_;
    std::size_t written_ = 0;
};

int import_into_data_dir(std::istream& in, const import_options& options) {
    std::optional<store::lmdb_environment> environment;
    try {
        environment.emplace(store::open_data_dir(options.data_dir, std::size_t{64} << 20));
    } catch (const std::exception& error) {
        std::cerr << "progressctl import: refused: " << error.what()
                  << " (import into a stopped server's data dir, or use --url)\n";
        return ctl_cannot_run;
    }
    import_counts counts;
    try {
        batch_writer writer(*environment, options.batch);
        read_lines(in, counts, [&writer](export_item&& item) { writer.add(item); });
        writer.flush();
        counts.written = writer.written();
    } catch (const std::exception& error) {
        std::cerr << "progressctl import: " << error.what() << " (batches before it are committed)\n";
        return ctl_cannot_run;
    }
    std::cerr << "progressctl import: " << counts.written << " written, " << counts.bad_lines << " bad lines skipped\n";
    return counts.bad_lines == 0 ? ctl_ok : ctl_problem;
}

int run_import(const import_options& options) {
    if (options.url.empty() == options.data_dir.empty()) {
        std::cerr << "progressctl import: give exactly one of --data-dir and --url\n";
        return ctl_cannot_run;
    }
    std::ifstream file;
    if (options.in != "-") {
        file.open(options.in, std::ios::binary);
        if (!file) {
            std::cerr << "progressctl import: cannot open " << options.in << '\n';
            return ctl_cannot_run;
        }
    }
    std::istream& in = options.in == "-" ? std::cin : file;
    if (!options.url.empty()) {
        if (options.api_key.empty()) {
            std::cerr << "progressctl import: --url needs --api-key (a service key)\n";
            return ctl_cannot_run;
        }
        return import_through_api(in, {options.url, options.api_key});
    }
    return import_into_data_dir(in, options);
}

}  // namespace

void read_lines(std::istream& in, import_counts& counts, const std::function<void(export_item&&)>& write) {
    std::string line;
    std::string error;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ++counts.lines;
        auto item = parse_line(line, error);
        if (!item) {
            if (++counts.bad_lines <= 20) std::cerr << "progressctl import: line " << number << ": " << error << " (skipped)\n";
            continue;
        }
        write(std::move(*item));
    }
    if (in.bad()) throw std::runtime_error("reading the input failed");
}

void add_import_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<import_options>();
    auto* command = app.add_subcommand("import", "read NDJSON (as export writes it) into a stopped data dir, or through a server's API");
    command->footer(std::string(
                        "Into --data-dir: the server must be stopped (import takes its lock); each line is "
                        "encoded as the server would and written over any entry with the same key, in "
                        "transactions of --batch lines. Through --url: the native API with a service key; "
                        "records become pings, enrolments explicit, kept attempts re-submitted: not an exact "
                        "copy (docs/progressctl.md). Bad lines are named on stderr and skipped (exit 1).\n") +
                    ctl_exit_codes);
    command->add_option("--data-dir", options->data_dir, "a stopped server's data dir (created when absent)");
    command->add_option("--in", options->in, "NDJSON file, - for stdin")->capture_default_str();
    command->add_option("--url", options->url, "a running server, http://host:port, instead of --data-dir");
    command->add_option("--api-key", options->api_key, "a service API key of that server (with --url)")
        ->envname("PROGRESSCTL_API_KEY");
    command->add_option("--batch", options->batch, "entries per LMDB transaction")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    command->callback([options, &action] { action = [options] { return run_import(*options); }; });
}

}  // namespace progressd::tools
