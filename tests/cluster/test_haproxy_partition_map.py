"""deploy/haproxy/partition-map against a real PostgreSQL and a real HAProxy: the map it writes is
the `partitions` table's owners with a running lease, named by their HAProxy servers; pushed
through the runtime API, an ownership change moves the user at once, without a reload."""

import os
import subprocess
import sys
import time
import unittest

from haproxy_rig import PARTITION_MAP, HaproxyRig, jwt_for, partition_of, skip_unless_haproxy
from postgres_server import PostgresServer, skip_unless_postgres

# The two coordination tables as docs/cluster.md ("Schema") describes them.
SCHEMA = """
CREATE TABLE nodes (node_id text PRIMARY KEY, advertise_url text NOT NULL,
                    started_at timestamptz NOT NULL DEFAULT now(), heartbeat_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE partitions (partition integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0,
                         lease_until timestamptz);
INSERT INTO partitions (partition) SELECT generate_series(0, 1023);
"""


def expected_owner(partition):
    """What the test's table says, as HAProxy server names: None when left out of the map."""
    if partition % 10 == 9:
        return None                   # no owner
    if partition % 10 == 8:
        return None                   # an owner whose lease ran out
    if partition % 10 == 7:
        return None                   # owned by a node HAProxy has no server for
    return ("node-a", "node-b", "node-c")[partition % 3]


class PartitionMapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_unless_haproxy()
        skip_unless_postgres()
        cls.pg = PostgresServer().__enter__()
        cls.url = cls.pg.create_database()
        cls.rig = HaproxyRig({}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.rig.__exit__(None, None, None)
        cls.pg.__exit__(None, None, None)

    def setUp(self):
        self.sql("DROP TABLE IF EXISTS nodes, partitions; " + SCHEMA)
        rig = self.rig
        # node-a is named by its node id; the others by their advertise_url's address only.
        self.sql(f"""INSERT INTO nodes (node_id, advertise_url) VALUES
            ('node-a', 'http://a.invalid:1'),
            ('10.0.0.2:8080', 'http://127.0.0.1:{rig.nodes['node-b'].port}'),
            ('third', 'http://127.0.0.1:{rig.nodes['node-c'].port}/'),
            ('stranger', 'http://192.0.2.1:8080')""")
        self.sql("""UPDATE partitions SET epoch = 1, lease_until = now() + interval '1 hour',
            owner = CASE WHEN partition % 10 = 9 THEN NULL
                         WHEN partition % 10 = 7 THEN 'stranger'
                         ELSE (ARRAY['node-a', '10.0.0.2:8080', 'third'])[partition % 3 + 1] END""")
        self.sql("UPDATE partitions SET lease_until = now() - interval '1 second' WHERE partition % 10 = 8")
        self.sql("UPDATE partitions SET owner = NULL, lease_until = NULL WHERE partition % 10 = 9")
        rig.runtime(f"clear map {rig.map_path}")
        with open(rig.map_path, "w"):
            pass

    def sql(self, statement):
        return self.pg.sql(statement, database=self.url.rsplit("/", 1)[1])

    def partition_map(self, *extra, check=True):
        done = subprocess.run(
            [sys.executable, PARTITION_MAP, "--postgres-url", self.url, "--config", self.rig.config_path,
             "--map", self.rig.map_path, *extra], capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            self.fail(f"partition-map failed ({done.returncode}): {done.stderr}")
        return done

    def map_file(self):
        with open(self.rig.map_path) as f:
            return {int(k): v for k, v in (line.split() for line in f if line.strip())}

    def running_map(self):
        entries = {}
        for line in filter(str.strip, self.rig.runtime(f"show map {self.rig.map_path}").splitlines()):
            _, key, value = line.split()
            entries[int(key)] = value
        return entries

    def expected(self):
        return {p: expected_owner(p) for p in range(1024) if expected_owner(p) is not None}

    def test_writes_the_owners_with_a_lease_named_by_their_servers(self):
        done = self.partition_map()
        self.assertEqual(self.map_file(), self.expected())
        self.assertIn("no HAProxy server for node(s) stranger", done.stderr)
        # Without --socket the running HAProxy is left alone (a reload would read the file).
        self.assertEqual(self.running_map(), {})

    def test_pushes_changes_through_the_runtime_api_at_once(self):
        self.partition_map("--socket", self.rig.socket_path)
        self.assertEqual(self.running_map(), self.expected())
        user = next(u for u in (f"u{i}" for i in range(1000)) if expected_owner(partition_of(u)) == "node-a")
        token = {"authorization": f"Bearer {jwt_for(user)}"}
        self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), "node-a")

        # A handover of the user's partition to 'third' (node-c), and a lease running out elsewhere.
        partition = partition_of(user)
        lapsed = next(p for p in range(1024) if p != partition and expected_owner(p) is not None)
        self.sql(f"UPDATE partitions SET owner = 'third', epoch = epoch + 1 WHERE partition = {partition}")
        self.sql(f"UPDATE partitions SET lease_until = now() - interval '1 second' WHERE partition = {lapsed}")
        done = self.partition_map("--socket", self.rig.socket_path)
        self.assertIn("2 runtime change(s)", done.stderr)
        want = self.expected()
        want[partition] = "node-c"
        del want[lapsed]
        self.assertEqual(self.running_map(), want)
        self.assertEqual(self.map_file(), want)
        self.assertEqual(self.rig.node_for("GET", "/v1/progress/c1", token), "node-c")

        # Nothing changed: nothing rewritten, nothing pushed, nothing said.
        done = self.partition_map("--socket", self.rig.socket_path)
        self.assertEqual(done.stderr.count("runtime change"), 0, done.stderr)

    def test_a_loop_follows_the_table(self):
        user = next(u for u in (f"loop{i}" for i in range(1000)) if expected_owner(partition_of(u)) == "node-b")
        token = {"authorization": f"Bearer {jwt_for(user)}"}
        loop = subprocess.Popen(
            [sys.executable, PARTITION_MAP, "--postgres-url", self.url, "--config", self.rig.config_path,
             "--map", self.rig.map_path, "--socket", self.rig.socket_path, "--every", "0.2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.rig.wait_for(lambda: self.rig.node_for("GET", "/v1/progress/c1", token) == "node-b", "node-b")
            self.sql(f"UPDATE partitions SET owner = 'node-a', epoch = epoch + 1 WHERE partition = {partition_of(user)}")
            started = time.monotonic()
            self.rig.wait_for(lambda: self.rig.node_for("GET", "/v1/progress/c1", token) == "node-a", "node-a")
            self.assertLess(time.monotonic() - started, 5)
        finally:
            loop.terminate()
            loop.wait(10)

    def test_postgresql_unreachable_keeps_the_last_map(self):
        self.partition_map()
        before = self.map_file()
        done = subprocess.run(
            [sys.executable, PARTITION_MAP, "--postgres-url", "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2",
             "--config", self.rig.config_path, "--map", self.rig.map_path], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertIn("psql failed", done.stderr)
        self.assertEqual(self.map_file(), before)


if __name__ == "__main__":
    unittest.main()
