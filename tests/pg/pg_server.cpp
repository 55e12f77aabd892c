#include "pg_server.hpp"

#include "store/postgres/connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace progressd::testing {
namespace {

constexpr const char* default_bin = "/usr/lib/postgresql/15/bin";

// A port nobody listens on now. Another process could take it before the server does; start()
// then fails and is tried again on another.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        port = ntohs(address.sin_port);
    }
    if (fd >= 0) ::close(fd);
    if (port == 0) throw std::system_error(errno, std::generic_category(), "no free port");
    return port;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::filesystem::path postgres_bin_dir() {
    const char* configured = std::getenv("PROGRESSD_PG_BIN");
    std::filesystem::path bin = configured && *configured ? configured : default_bin;
    return std::filesystem::exists(bin / "initdb") ? bin : std::filesystem::path{};
}

pg_server::pg_server() : bin_(postgres_bin_dir()), as_nobody_(::geteuid() == 0) {
    if (bin_.empty()) throw std::runtime_error("PostgreSQL 15 is not installed (no initdb in " + std::string(default_bin) + ")");
    std::string pattern = (std::filesystem::temp_directory_path() / "progressd-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    dir_ = pattern;
    if (as_nobody_) {
        const passwd* nobody = ::getpwnam("nobody");
        if (!nobody || ::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
            std::filesystem::remove(dir_);
            throw std::runtime_error("cannot hand " + dir_.string() + " to the user nobody");
        }
    }
    start_watchdog();  // from here on, the dir goes whatever happens
    try {
        run({(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", "postgres", "-A", "trust", "-E",
             "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            "initdb");
        for (int attempt = 0;; ++attempt) {
            try {
                start_on(free_port());
                break;
            } catch (const std::runtime_error&) {
                if (attempt == 2) throw;
            }
        }
    } catch (...) {
        stop_watchdog();
        throw;
    }
}

pg_server::~pg_server() { stop_watchdog(); }

void pg_server::start_on(int port) {
    port_ = port;
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                                " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100";
    run({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-l", (dir_ / "server.log").string(), "-w",
         "-t", "60", "-o", options, "start"},
        "pg_ctl start");
}

void pg_server::stop() {
    run({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-m", "fast", "-w", "-t", "60", "stop"},
        "pg_ctl stop");
}

void pg_server::start() { start_on(port_); }

void pg_server::stop_watchdog() {
    ::close(watchdog_pipe_);  // end-of-file: the watchdog stops the server and removes the dir
    int status = 0;
    while (::waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

void pg_server::start_watchdog() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    std::string stop = "'" + (bin_ / "pg_ctl").string() + "' -D '" + (dir_ / "data").string() +
                       "' -m immediate stop >/dev/null 2>&1";
    if (as_nobody_) stop = "runuser -u nobody -- " + stop;
    std::string script = "cd /; cat >/dev/null; " + stop + "; rm -rf '" + dir_.string() + "'";
    const pid_t child = ::fork();
    if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (child == 0) {
        ::setsid();  // out of the test's process group: a Ctrl-C or a group kill spares it
        ::dup2(fds[0], STDIN_FILENO);  // dup2 clears close-on-exec on the copy
        ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[0]);
    watchdog_pipe_ = fds[1];
    watchdog_pid_ = child;
}

std::string pg_server::conninfo(const std::string& database) const {
    return "host=" + dir_.string() + " port=" + std::to_string(port_) + " user=postgres dbname=" + database;
}

std::string pg_server::create_database() {
    const std::string name = "test_" + std::to_string(++databases_);
    auto conn = store::connection::open(conninfo());
    if (!conn) throw std::runtime_error("connect to the test server: " + conn.error().message);
    if (auto created = conn->exec("CREATE DATABASE " + name); !created) {
        throw std::runtime_error("CREATE DATABASE " + name + ": " + created.error().message);
    }
    return conninfo(name);
}

// Runs a PostgreSQL program to its end (as nobody when we are root), its output in the dir's
// command log; throws with that log when it fails.
void pg_server::run(std::vector<std::string> argv, const std::string& what) const {
    if (as_nobody_) argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
    const auto log = dir_ / "commands.log";
    // Everything the child needs is made before fork: it only redirects and execs.
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const std::string cwd = dir_.string();  // one nobody may enter: the caller's may be root's alone
    const pid_t child = ::fork();
    if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (child == 0) {
        const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
        }
        if (::chdir(cwd.c_str()) != 0) ::_exit(126);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(what + " failed:\n" + read_file(log) + read_file(dir_ / "server.log"));
    }
}

}  // namespace progressd::testing
