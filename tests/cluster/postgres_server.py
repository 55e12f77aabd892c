"""A throwaway PostgreSQL 15 server for the cluster suites, the Python twin of tests/pg/pg_server.hpp.

initdb in a fresh temp dir, pg_ctl start on a free loopback port with the Unix socket in that dir;
stop() (pg_ctl stop -m immediate) removes the dir. PostgreSQL refuses to run as root and CI runs
as root: then every server program runs as `nobody` through runuser (util-linux, always there on
Debian), after the dir is chowned to it, so the server can write nothing but its own dir.

A watchdog process in its own session holds the read end of a pipe only this object writes to:
when the test process ends in any way (a crash, SIGKILL), it reads end-of-file, stops the server
and removes the dir, so a CI machine is never left with a stray server.

    with PostgresServer() as pg:
        url = pg.create_database()          # "postgresql://postgres@127.0.0.1:PORT/test_1"
        pg.sql("SELECT count(*) FROM records", database="test_1")
        pg.restart()                        # a PostgreSQL restart under load

fsync is off by default (fsync=True turns it on): a process kill of PostgreSQL loses nothing the
kernel already has, and these suites kill processes, not machines.
"""

import os
import pwd
import socket
import subprocess
import tempfile
import unittest

DEFAULT_BIN = "/usr/lib/postgresql/15/bin"


def postgres_bin_dir():
    """Where initdb and pg_ctl are (PROGRESSD_PG_BIN overrides), or None when not installed."""
    bin_dir = os.environ.get("PROGRESSD_PG_BIN") or DEFAULT_BIN
    return bin_dir if os.path.exists(os.path.join(bin_dir, "initdb")) else None


def skip_unless_postgres():
    """Raises unittest.SkipTest when PostgreSQL 15 is missing, except in CI (CI=true), where the
    suite must run and fail rather than pass without having tested anything."""
    if postgres_bin_dir() is None and os.environ.get("CI") != "true":
        raise unittest.SkipTest(f"PostgreSQL 15 is not installed ({DEFAULT_BIN}/initdb): tools/setup installs it")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, fsync=False):
        self.bin_dir = postgres_bin_dir()
        if self.bin_dir is None:
            raise RuntimeError(f"PostgreSQL 15 is not installed ({DEFAULT_BIN}/initdb): tools/setup installs it")
        self.fsync = fsync
        self.as_nobody = os.geteuid() == 0
        self.dir = None
        self.port = None
        self._watchdog = None
        self._databases = 0

    # -- life -------------------------------------------------------------------------------

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="progressd-pg-")
        if self.as_nobody:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
        self._start_watchdog()
        try:
            self._run(["initdb", "-D", self.data_dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                       "--no-sync", "--no-instructions"])
            for attempt in range(3):
                # Another process may take the port before the server does: then another port.
                self.port = _free_port()
                try:
                    self._pg_ctl_start()
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """pg_ctl stop -m immediate and the dir removed (by the watchdog). Idempotent."""
        if self._watchdog is not None:
            self._watchdog.stdin.close()  # end-of-file: it stops the server and removes the dir
            self._watchdog.wait(timeout=120)
            self._watchdog = None

    def restart(self, mode="immediate"):
        """Stops the server (immediate: as a crash would) and starts it again on the same port."""
        self._run(["pg_ctl", "-D", self.data_dir, "-m", mode, "stop"])
        self._pg_ctl_start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- use --------------------------------------------------------------------------------

    @property
    def data_dir(self):
        return os.path.join(self.dir, "data")

    def conninfo(self, database="postgres"):
        """A libpq key=value string through the Unix socket."""
        return f"host={self.dir} port={self.port} user=postgres dbname={database}"

    def url(self, database="postgres"):
        """A libpq URI over TCP loopback (what a node's --postgres-url takes)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name=None):
        """Creates an empty database (test_1, test_2… unless named); returns its URI."""
        if name is None:
            self._databases += 1
            name = f"test_{self._databases}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def sql(self, statement, database="postgres"):
        """Runs SQL through psql; returns its unaligned, tuples-only output (rows on lines,
        columns separated by |)."""
        done = subprocess.run([os.path.join(self.bin_dir, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                               "-d", self.conninfo(database), "-c", statement],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {statement}: {done.stderr.strip()}")
        return done.stdout.strip()

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- inside ------------------------------------------------------------------------------

    def _as_server_user(self, argv):
        return ["runuser", "-u", "nobody", "--"] + argv if self.as_nobody else argv

    def _run(self, argv):
        argv = [os.path.join(self.bin_dir, argv[0])] + argv[1:]
        # In the server's dir: the caller's working dir may be one nobody cannot enter.
        done = subprocess.run(self._as_server_user(argv), capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}{self.log()}")

    def _pg_ctl_start(self):
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
                   f" -c fsync={'on' if self.fsync else 'off'}")
        self._run(["pg_ctl", "-D", self.data_dir, "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "60",
                   "-o", options, "start"])

    def _start_watchdog(self):
        stop = " ".join(self._as_server_user(
            [os.path.join(self.bin_dir, "pg_ctl"), "-D", f"'{self.data_dir}'", "-m", "immediate", "stop"]))
        script = f"cat >/dev/null; {stop} >/dev/null 2>&1; rm -rf '{self.dir}'"
        self._watchdog = subprocess.Popen(["sh", "-c", script], stdin=subprocess.PIPE, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")


__all__ = ["PostgresServer", "postgres_bin_dir", "skip_unless_postgres"]
