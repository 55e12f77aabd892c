"""The PostgreSQL helper the cluster suites stand on: it starts, serves SQL over the socket and
loopback TCP, survives a restart with its data, and leaves nothing behind, even when its test
process is killed."""

import os
import pwd
import subprocess
import sys
import textwrap
import time
import unittest

from postgres_server import PostgresServer, skip_unless_postgres


def postgres_processes_for(path):
    """The pids of processes whose command line names `path` (from /proc: no procps needed)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "postgres" in args and path in args:
            pids.append(int(entry))
    return pids


def wait_until(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class PostgresServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_unless_postgres()

    def test_serves_sql_and_restarts_with_its_data(self):
        with PostgresServer() as pg:
            self.assertTrue(postgres_processes_for(pg.dir))
            url = pg.create_database()
            self.assertTrue(url.startswith("postgresql://postgres@127.0.0.1:"))
            pg.sql("CREATE TABLE t (k int PRIMARY KEY, v text)", database="test_1")
            pg.sql("INSERT INTO t VALUES (1, 'héllo'), (2, 'x')", database="test_1")
            self.assertEqual(pg.sql("SELECT k, v FROM t ORDER BY k", database="test_1"), "1|héllo\n2|x")
            self.assertEqual(pg.sql("SELECT current_setting('data_directory')"), pg.data_dir)
            # As root, the server runs as nobody (PostgreSQL refuses root).
            with open(os.path.join(pg.data_dir, "postmaster.pid")) as f:
                postmaster = f.readline().strip()
            owner = os.stat(f"/proc/{postmaster}").st_uid
            self.assertEqual(owner, pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid())
            pg.restart()
            self.assertEqual(pg.sql("SELECT count(*) FROM t", database="test_1"), "2")
            with self.assertRaises(RuntimeError):
                pg.sql("SELECT * FROM missing_table", database="test_1")
            path = pg.dir
        self.assertFalse(os.path.exists(path))
        self.assertTrue(wait_until(lambda: not postgres_processes_for(path)))

    # The watchdog: a test process killed with SIGKILL leaves no server and no dir behind.
    def test_a_killed_test_process_leaves_nothing(self):
        here = os.path.dirname(os.path.abspath(__file__))
        child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {here!r})
            from postgres_server import PostgresServer
            pg = PostgresServer().start()
            print(pg.dir, flush=True)
            time.sleep(600)
            """)], stdout=subprocess.PIPE, text=True)
        path = child.stdout.readline().strip()
        child.stdout.close()
        self.assertTrue(path and os.path.isdir(path))
        self.assertTrue(postgres_processes_for(path))
        child.kill()
        child.wait()
        self.assertTrue(wait_until(lambda: not os.path.exists(path) and not postgres_processes_for(path)),
                        f"{path} or its server outlived the killed process")


if __name__ == "__main__":
    unittest.main()
