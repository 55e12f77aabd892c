#include "tools/ctl_restore.hpp"

#include "common/errno_error.hpp"
#include "store/persist/write_ahead_log.hpp"
#include "tools/ctl_verify.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

namespace progressd::tools {
namespace {

namespace fs = std::filesystem;

struct restore_options {
    std::string from;
    std::string data_dir;
    bool force = false;
};

using progressd::errno_error;

void sync_path(const std::string& path, int flags) {
    const file_descriptor file(::open(path.c_str(), flags | O_CLOEXEC));
    if (!file.is_open() || ::fsync(file.get()) != 0) throw errno_error("fsync " + path);
}

// What the target holds besides the lock file restore itself takes.
bool holds_anything(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename() != "progressd.lock") return true;
    }
    return false;
}

int run_restore(const restore_options& options) {
    const fs::path from(options.from);
    const fs::path target(options.data_dir);
    if (!fs::exists(from / "data.mdb")) {
        std::cerr << "progressctl restore: no LMDB data (data.mdb) in " << options.from << '\n';
        return ctl_cannot_run;
    }
    if (fs::exists(target) && fs::equivalent(from, target)) {
        std::cerr << "progressctl restore: --from and --data-dir are the same directory\n";
        return ctl_cannot_run;
    }
    try {
        const verify_summary summary = verify_data_dir(options.from);
        if (!summary.damaged.empty()) {
            std::cerr << "progressctl restore: refused: the backup has " << summary.damaged.size()
                      << " damaged entries (progressctl verify --data-dir " << options.from << " lists them)\n";
            return ctl_problem;
        }
        std::cerr << "progressctl restore: backup verified, " << summary.checked << " entries\n";
    } catch (const std::exception& error) {
        std::cerr << "progressctl restore: cannot verify the backup: " << error.what() << '\n';
        return ctl_cannot_run;
    }

    std::error_code ec;
    fs::create_directories(target, ec);
    if (ec) {
        std::cerr << "progressctl restore: create " << options.data_dir << ": " << ec.message() << '\n';
        return ctl_cannot_run;
    }
    // Held to the end: no server starts on the dir while its files are being replaced.
    std::string why;
    const auto lock = try_lock_data_dir(options.data_dir, why);
    if (!lock) {
        std::cerr << "progressctl restore: refused: " << why << " (stop the server first)\n";
        return ctl_cannot_run;
    }
    if (holds_anything(target) && !options.force) {
        std::cerr << "progressctl restore: refused: " << options.data_dir
                  << " is not empty (--force replaces its data and log, keeping other files such as secrets)\n";
        return ctl_cannot_run;
    }

    try {
        // The files to put in place: the LMDB file and whichever log files the backup has.
        std::vector<std::pair<fs::path, fs::path>> files{{from / "data.mdb", target / "data.mdb"}};
        const auto logs = store::write_ahead_log_paths(options.from);
        const auto target_logs = store::write_ahead_log_paths(options.data_dir);
        for (std::size_t i = 0; i < logs.size(); ++i) {
            if (fs::exists(logs[i])) files.emplace_back(logs[i], target_logs[i]);
        }
        // The files get the data dir's owner and the server's mode (0600): restored as root into
        // a service's dir, they must stay openable by the service's user.
        struct stat owner {};
        if (::stat(options.data_dir.c_str(), &owner) != 0) throw errno_error("stat " + options.data_dir);
        for (const auto& [source, destination] : files) {
            const fs::path temp = destination.string() + ".restoring";
            fs::copy_file(source, temp, fs::copy_options::overwrite_existing);
            if (::chown(temp.c_str(), owner.st_uid, owner.st_gid) != 0) throw errno_error("chown " + temp.string());
            fs::permissions(temp, fs::perms::owner_read | fs::perms::owner_write);
            sync_path(temp.string(), O_RDONLY);
        }
        // The old log goes first: its frames would otherwise be replayed over the restored data.
        // A crash after this leaves the old LMDB file without its log or the restored one without
        // the backup's log: either is a consistent committed state, and restore can be run again.
        for (const auto& log : target_logs) {
            if (::unlink(log.c_str()) != 0 && errno != ENOENT) throw errno_error("remove " + log);
        }
        sync_path(options.data_dir, O_RDONLY | O_DIRECTORY);
        for (const auto& [source, destination] : files) {
            const fs::path temp = destination.string() + ".restoring";
            if (::rename(temp.c_str(), destination.c_str()) != 0) throw errno_error("rename " + temp.string());
        }
        sync_path(options.data_dir, O_RDONLY | O_DIRECTORY);
    } catch (const std::exception& error) {
        std::cerr << "progressctl restore: " << error.what() << '\n';
        for (const auto& entry : fs::directory_iterator(target, ec)) {
            if (entry.path().extension() == ".restoring") fs::remove(entry.path(), ec);
        }
        return ctl_cannot_run;
    }
    std::cout << "restored " << options.from << " into " << options.data_dir << '\n';
    return ctl_ok;
}

}  // namespace

void add_restore_command(CLI::App& app, command_action& action) {
    auto options = std::make_shared<restore_options>();
    auto* command = app.add_subcommand("restore", "put a backup (from `backup`) in place as a stopped server's data dir");
    command->footer(std::string("Verifies the backup first (exit 1 when damaged), refuses a data dir a server "
                                "holds and a non-empty one without --force (exit 2). Copies data.mdb and the "
                                "backup's write-ahead log beside their final names, syncs, removes the old log, "
                                "renames into place, syncs the directory. Secrets are not in a backup: keep "
                                "the target's or copy yours.\n") + ctl_exit_codes);
    command->add_option("--from", options->from, "the backup directory (as `backup --to` wrote it)")->required();
    command->add_option("--data-dir", options->data_dir, "the data dir to restore into (created when absent)")
        ->envname("PROGRESSD_DATA_DIR")
        ->required();
    command->add_flag("--force", options->force, "replace the data of a non-empty data dir");
    command->callback([options, &action] { action = [options] { return run_restore(*options); }; });
}

}  // namespace progressd::tools
