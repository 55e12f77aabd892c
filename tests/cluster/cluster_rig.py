"""A real progressd cluster for the cluster suites: one PostgreSQL 15, N real progressd nodes
(`--store postgres`) and, optionally, HAProxy in front with deploy/haproxy/haproxy.cfg and its map
kept current by deploy/haproxy/partition-map.

    pg = shared_postgres()                       # one PostgreSQL per test process
    with ClusterRig(pg, nodes=3) as rig:         # a fresh database, 3 nodes, HAProxy
        rig.request("POST", "/v1/progress", body={...}, key=SERVICE_KEY)   # through HAProxy
        rig.nodes[1].request(...)                # one node directly
        rig.kill_node(2); rig.wait_owned(among={"node1", "node3"})
        rig.start_node(1)                        # the same id and port again
        rig.add_node()                           # node4 joins
        rig.restart_postgres()

Nodes listen on ports picked free (checked free just before the start; a start that loses its
port to another process is retried on a new one), since the advertise URL must name the port:
`--listen 127.0.0.1:0` cannot be advertised. Every node shares one HS256 secret file and one API
keys file. A node is ready when it logged its "ready" line and /readyz answers 200; the cluster
is ready when every partition has an owner too.

Node ids are node1, node2…; HAProxy's shipped servers node-a, node-b, node-c are pointed at the
first three nodes' ports, so partition-map names each owner by the address of its advertise URL
(a node added later has no HAProxy server: its users are balanced over the others, which
forward). Reuses the e2e fixture (tests/e2e/progressd_fixture.py) for the node processes, the
HTTP client and the checks against docs/openapi.json.
"""

import atexit
import http.client
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import progressd_fixture  # noqa: E402
from cluster_node import ClusterNode  # noqa: E402
from cluster_util import PARTITIONS, desired_owners, free_port_checked, http_call  # noqa: E402
from haproxy_rig import (PARTITION_MAP, SHIPPED_NODES, HaproxyRig, haproxy_binary, partition_of,  # noqa: E402
                         stop_process)
from postgres_server import PostgresServer, postgres_bin_dir  # noqa: E402
from progressd_fixture import SERVICE_KEY, progressctl_token  # noqa: E402

LEASE_MS = 1500
READY_TIMEOUT_S = 45      # a node waits up to 30 s for PostgreSQL before it gives up
OWNED_TIMEOUT_S = 30


# A node's ready line waits for PostgreSQL (up to 30 s): the fixture's wait for it must be longer.
# Set once for the process, since nodes start from several threads.
progressd_fixture.READY_TIMEOUT_S = max(progressd_fixture.READY_TIMEOUT_S, READY_TIMEOUT_S)


def skip_unless_cluster():
    """SkipTest without PostgreSQL 15 or HAProxy, except in CI (CI=true), where the suites must
    run and fail rather than pass without having tested anything."""
    import unittest
    if os.environ.get("CI") == "true":
        return
    if postgres_bin_dir() is None:
        raise unittest.SkipTest("PostgreSQL 15 is not installed: tools/setup installs it")
    if haproxy_binary() is None:
        raise unittest.SkipTest("HAProxy is not installed: tools/setup installs it")


_shared = None
_shared_lock = threading.Lock()


def shared_postgres():
    """One PostgreSQL for the whole test process, started on first use (each rig takes a fresh
    database in it); stopped at exit, and by its watchdog however the process ends."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PostgresServer().start()
            atexit.register(_shared.stop)
        return _shared


class ClusterRig:
    """PostgreSQL (given), N nodes and HAProxy (unless haproxy=False). `port` is where requests
    go: HAProxy's, or the first node's when there is no HAProxy."""

    def __init__(self, pg, nodes=3, durability="snapshot", haproxy=True, extra_args=(), lease_ms=LEASE_MS,
                 api_keys=(SERVICE_KEY,)):
        self.pg = pg
        self.node_count = nodes
        self.durability = durability
        self.use_haproxy = haproxy
        self.extra_args = list(extra_args)
        self.lease_ms = lease_ms
        self.api_keys = api_keys
        self.nodes = {}           # index -> ClusterNode (stopped ones stay, not alive)
        self.haproxy = None
        self.map_loop = None
        self.tmp = None
        self._tokens = {}
        self._ports = set()       # every port handed to a node of this rig
        self._ports_lock = threading.Lock()

    # --- life ---------------------------------------------------------------------------------

    def start(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="progressd-cluster-")
        self.database = f"cluster_{secrets.token_hex(4)}"
        self.url = self.pg.create_database(self.database)
        self.secret_file = os.path.join(self.tmp.name, "jwt-hs256.secret")
        with open(self.secret_file, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        self.keys_file = os.path.join(self.tmp.name, "api-keys")
        with open(self.keys_file, "w") as f:
            f.write("# cluster service keys\n" + "".join(k + "\n" for k in self.api_keys))
        # The nodes start together, as a deployment's would: each takes its share at once rather
        # than through handovers from the nodes before it.
        failures = []

        def start_one(index):
            try:
                self.wait_ready(self._start_new_node(index))
            except BaseException as e:  # raised below, in the caller's thread
                failures.append(e)
        starters = [threading.Thread(target=start_one, args=(i,)) for i in range(1, self.node_count + 1)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        if failures:
            raise failures[0]
        self.wait_owned()
        self.wait_views()
        if self.use_haproxy:
            self._start_haproxy()
        return self

    def stop(self):
        if self.map_loop is not None:
            stop_process(self.map_loop)
            self.map_loop_log.close()
            self.map_loop = None
        if self.haproxy is not None:
            self.haproxy.stop()
            self.haproxy = None
        for node in self.nodes.values():
            if node.alive():
                try:
                    node.send_signal(signal.SIGCONT)
                except ProcessLookupError:
                    pass
        failures = []
        for node in self.nodes.values():
            try:
                node.close()
            except AssertionError as e:
                failures.append(f"{node.node_id}: {e}")
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None
        if failures:
            raise AssertionError("\n".join(failures))

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self.haproxy.port if self.haproxy is not None else self.nodes[1].port

    # --- nodes ----------------------------------------------------------------------------------

    def _start_new_node(self, index):
        last_error = None
        for _ in range(3):
            with self._ports_lock:
                port = free_port_checked(self._ports)
                self._ports.add(port)
            try:
                node = ClusterNode(self, index, port, self.durability, self.extra_args)
            except AssertionError as e:
                # Another process took the port between the check and the bind: another port.
                if "in use" not in str(e).lower():
                    raise
                last_error = e
                continue
            self.nodes[index] = node
            return node
        raise last_error

    def start_node(self, index):
        """Starts node `index` again: the same id and port (a crashed or stopped node coming back)."""
        node = self.nodes[index]
        if node.alive():
            raise AssertionError(f"{node.node_id} still runs")
        node.close_connections()
        if node.process is not None and node.process.stderr:
            node.process.stderr.close()  # the previous run's, drained to its end
        node.start()
        self.wait_ready(node)
        return node

    def add_node(self):
        """A new node joins (node4, node5…); returns it once ready."""
        node = self._start_new_node(max(self.nodes) + 1)
        self.wait_ready(node)
        return node

    def kill_node(self, index):
        """kill -9."""
        self.nodes[index].kill9()

    def stop_node(self, index, timeout=30):
        """SIGTERM and the exit code (a planned stop: flush, then leave)."""
        return self.nodes[index].stop_sigterm(timeout)

    def pause_node(self, index):
        self.nodes[index].send_signal(signal.SIGSTOP)

    def resume_node(self, index):
        self.nodes[index].send_signal(signal.SIGCONT)

    def live_nodes(self):
        return [n for n in self.nodes.values() if n.alive()]

    def wait_ready(self, node, timeout=READY_TIMEOUT_S):
        """/readyz 200 (the ready line was awaited by the node's start)."""
        self.wait_for(lambda: node.readyz() == 200, f"{node.node_id} /readyz 200", timeout,
                      lambda: node.log_tail())

    # --- PostgreSQL --------------------------------------------------------------------------------

    def sql(self, statement):
        return self.pg.sql(statement, database=self.database)

    def owners(self):
        """{partition: owner node id} of the partitions with an owner."""
        rows = self.sql("SELECT partition, owner FROM partitions WHERE owner IS NOT NULL")
        return {int(p): o for p, o in (line.split("|") for line in rows.splitlines() if line)}

    def owner_of(self, user):
        return self.owners().get(partition_of(user))

    def owned_count(self):
        return int(self.sql("SELECT count(*) FROM partitions WHERE owner IS NOT NULL"))

    def wait_owned(self, among=None, timeout=OWNED_TIMEOUT_S):
        """Every partition owned by its rendezvous winner among `among` (node ids; by default the
        nodes running): the cluster has settled, no handover is left to come."""
        if among is None:
            among = [n.node_id for n in self.live_nodes()]
        desired = desired_owners(among)
        self.wait_for(lambda: self.owners() == desired,
                      f"all {PARTITIONS} partitions owned by their rendezvous winners among {sorted(among)}",
                      timeout, lambda: f"owners: {self._owner_counts()}")

    def wait_views(self, timeout=10):
        """Each node's view of the other nodes' partitions is read once per period (a third of the
        lease), so for up to a period after a move a node answers 503 for users whose new owner it
        has not read yet. Waits a period, then until every node forwards a user of every other
        node (a read through each node, answered anything but 503)."""
        time.sleep(self.lease_ms / 3000 + 0.1)
        owners = self.owners()
        probes = {}
        serial = 0
        live = self.live_nodes()
        while len(probes) < len(live):
            serial += 1
            user = f"probe-{serial}"
            probes.setdefault(owners.get(partition_of(user)), user)

        def forwarded():
            for node in live:
                for owner, user in probes.items():
                    if owner != node.node_id:
                        status, _, _ = http_call(node.port, "GET", f"/v1/progress?user_id={user}&content_ids=probe",
                                                 key=self.api_keys[0])
                        if status == 503:
                            return False
            return True
        self.wait_for(forwarded, "every node to know every other node's partitions", timeout)

    def _owner_counts(self):
        counts = {}
        try:
            for owner in self.owners().values():
                counts[owner] = counts.get(owner, 0) + 1
        except RuntimeError as e:
            return str(e)
        return counts

    def stop_postgres(self, mode="immediate"):
        """pg_ctl stop (immediate: as a crash would). Every rig on the same server sees it."""
        self.pg._run(["pg_ctl", "-D", self.pg.data_dir, "-m", mode, "stop"])

    def start_postgres(self):
        """pg_ctl start again, on the same port."""
        self.pg._pg_ctl_start()

    def restart_postgres(self, down_seconds=0.0, mode="immediate"):
        """pg_ctl stop, an optional outage, pg_ctl start."""
        self.stop_postgres(mode)
        if down_seconds:
            time.sleep(down_seconds)
        self.start_postgres()

    # --- HAProxy ------------------------------------------------------------------------------------

    def _start_haproxy(self):
        ports = {name: self.nodes[i + 1].fixed_port for i, name in enumerate(SHIPPED_NODES)
                 if i + 1 in self.nodes}
        if len(ports) != len(SHIPPED_NODES):
            raise AssertionError(f"HAProxy's shipped configuration names {len(SHIPPED_NODES)} nodes")
        self.haproxy = HaproxyRig(partition_map={}, node_ports=ports).start()
        self.map_loop_log = open(os.path.join(self.tmp.name, "partition-map.log"), "w")
        self.map_loop = subprocess.Popen(
            [sys.executable, PARTITION_MAP, "--postgres-url", self.url, "--config", self.haproxy.config_path,
             "--map", self.haproxy.map_path, "--socket", self.haproxy.socket_path, "--every", "0.5",
             "--psql", os.path.join(self.pg.bin_dir, "psql")],
            stdout=self.map_loop_log, stderr=subprocess.STDOUT)
        self.wait_for(lambda: len(self.haproxy_map()) == PARTITIONS, "HAProxy's map to name all owners", 20,
                      lambda: self.map_loop_output())

    def haproxy_map(self):
        """{partition: server name} as the running HAProxy has it."""
        entries = {}
        for line in self.haproxy.runtime(f"show map {self.haproxy.map_path}").splitlines():
            words = line.split()
            if len(words) == 3 and words[0].startswith("0x"):
                entries[int(words[1])] = words[2]
        return entries

    def map_loop_output(self):
        try:
            with open(os.path.join(self.tmp.name, "partition-map.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    # --- requests and credentials -------------------------------------------------------------------

    def user_token(self, user, ttl_seconds=None):
        """A token minted by `progressctl token` with the cluster's shared secret file."""
        return progressctl_token(self._tokens, user, ["--jwt-hs256-secret-file", self.secret_file], ttl_seconds)

    def hs256_secret(self):
        with open(self.secret_file, "rb") as f:
            return f.read().rstrip()

    def request(self, method, path, body=None, headers=None, token=None, key=None, timeout=10):
        """(status, lower-cased headers, parsed JSON or raw bytes) through the entry port, on a
        new connection (for the failover suites; the e2e suites use the fixture's client)."""
        return http_call(self.port, method, path, body, headers, token, key, timeout)

    # --- helpers ---------------------------------------------------------------------------------------

    def wait_for(self, predicate, what, timeout, explain=None):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except (OSError, RuntimeError, http.client.HTTPException) as e:
                last_error = e
            time.sleep(0.1)
        detail = explain() if explain else ""
        raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                             f"{f' (last error: {last_error})' if last_error else ''}\n{detail}\n" +
                             self.logs_tail())

    def logs_tail(self, lines=15):
        parts = []
        for node in self.nodes.values():
            parts.append(f"--- {node.node_id} ({'alive' if node.alive() else 'not running'}), last lines:\n"
                         + node.log_tail(lines))
        return "\n".join(parts)
