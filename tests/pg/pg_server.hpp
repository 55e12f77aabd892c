#pragma once
// A throwaway PostgreSQL 15 server for tests: initdb in a fresh temp dir, pg_ctl start on a free
// loopback port with the Unix socket in that dir, and at the end pg_ctl stop -m immediate and the
// dir removed. Nothing of the machine's own PostgreSQL (its clusters, its service) is touched.
//
// PostgreSQL refuses to run as root, and CI runs as root. Then the server runs as `nobody`
// through runuser (util-linux, always there on Debian, unlike sudo), after the temp dir is
// chowned to it: an unprivileged account that owns nothing else, so the server can write only its
// own temp dir. Run as any other user, it simply runs as that user.
//
// The binaries are /usr/lib/postgresql/15/bin (PROGRESSD_PG_BIN overrides). fsync is off: these
// tests exercise progressd's use of PostgreSQL, not PostgreSQL's durability, and a process kill
// loses nothing the kernel already has.
//
// A test process that dies without running destructors (a crash, SIGKILL, a closed pipe) must
// not leave a server behind on a CI machine: a watchdog process, in a session of its own, holds
// the read end of a pipe whose write end only this object holds. When it reads end-of-file, the
// object is gone one way or the other, and it stops the server and removes the dir. The
// destructor works the same way: it closes the pipe and waits for the watchdog.

#include <filesystem>
#include <string>
#include <vector>

namespace progressd::testing {

// Where initdb and pg_ctl are; empty when they are not installed.
std::filesystem::path postgres_bin_dir();

class pg_server {
public:
    // Starts the server; throws std::runtime_error with the command's log when it cannot.
    pg_server();
    ~pg_server();
    pg_server(const pg_server&) = delete;
    pg_server& operator=(const pg_server&) = delete;

    int port() const { return port_; }
    const std::filesystem::path& socket_dir() const { return dir_; }
    // A libpq connection string for `database` as the superuser.
    std::string conninfo(const std::string& database = "postgres") const;
    // Creates an empty database with a new name and returns its conninfo.
    std::string create_database();

    // An outage: stop() shuts the server down (fast: open sessions are ended), start() brings it
    // back on the same port and socket dir, so every conninfo handed out stays valid.
    void stop();
    void start();

private:
    void start_on(int port);
    void run(std::vector<std::string> argv, const std::string& what) const;
    void start_watchdog();
    void stop_watchdog();

    std::filesystem::path dir_;
    std::filesystem::path bin_;
    bool as_nobody_ = false;
    int port_ = 0;
    int databases_ = 0;
    int watchdog_pipe_ = -1;  // write end
    int watchdog_pid_ = -1;
};

}  // namespace progressd::testing
