"""ClusterServer: what the e2e suites' ServerCase holds in cluster mode (PROGRESSD_E2E_CLUSTER,
tests/e2e/progressd_fixture.py)."""

import itertools
import threading
import time
import unittest

from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from progressd_fixture import ProgressdServer

MODES = ("haproxy", "direct", "mixed")

# The metric every node moves once it has handled a catalog or webhook change's notice (its own
# included): docs/cluster.md, "Shared state".
SHARED_NOTICES = "progressd_shared_state_notices_total"
# How long a shared change may take to reach every node. A change that sends no notice (one that
# changed nothing) waits this long once; none in the suites should.
SHARED_STATE_TIMEOUT_S = 5.0


def _is_shared_change(method, path):
    return method in ("PUT", "POST", "PATCH", "DELETE") and path.startswith(("/v1/contents", "/v1/webhooks"))


class ClusterServer(ProgressdServer):
    """What the e2e suites' ServerCase holds in cluster mode (PROGRESSD_E2E_CLUSTER): a 3-node
    cluster with the interface of one ProgressdServer. Requests go through HAProxy ("haproxy"), to
    the first node directly ("direct": the users the other nodes own are forwarded), or, in each
    thread, alternately one way and the other ("mixed": both paths in one run). What only one
    process has (a restart, a data dir) is not there: the tests about it are skipped."""

    def __init__(self, mode, extra_args=(), durability="snapshot"):
        if mode not in MODES:
            raise AssertionError(f"PROGRESSD_E2E_CLUSTER: expected one of {MODES}, got {mode!r}")
        skip_unless_cluster()
        # The fixture's HTTP client state, without a process of its own.
        self._local = threading.local()
        self._connections = []
        self._connections_lock = threading.Lock()
        self.openapi_failures = []
        self.durability = durability
        self.process = None
        self.rig = ClusterRig(shared_postgres(), nodes=3, durability=durability,
                              haproxy=(mode != "direct"), extra_args=extra_args)
        self.rig.__enter__()
        self.port = self.rig.port
        first_node = self.rig.nodes[min(self.rig.nodes)].port
        self._ports = (self.port, first_node) if mode == "mixed" else (self.port,)

    @property
    def stderr_lines(self):
        return [line for node in self.rig.nodes.values() for line in node.stderr_lines]

    @property
    def events(self):
        return [event for node in self.rig.nodes.values() for event in node.events]

    def alive(self):
        return all(node.alive() for node in self.rig.nodes.values())

    def start(self):
        raise unittest.SkipTest("one process only: a cluster is not restarted as a whole")

    restart = stop_sigterm = kill9 = start

    def user_token(self, user, ttl_seconds=None):
        return self.rig.user_token(user, ttl_seconds)

    def _connection(self):
        """A keep-alive connection per thread and port; in "mixed" mode each call takes the next
        port of the thread's rotation (HAProxy, then node 1)."""
        local = self._local.__dict__
        rotation = local.setdefault("rotation", itertools.cycle(self._ports))
        port = next(rotation)
        by_port = local.setdefault("by_port", {})
        conn = by_port.get(port)
        if conn is None:
            conn = by_port[port] = self._new_connection(port)
        return conn

    def request(self, method, path, body=None, headers=None, token=None, key=None):
        if not _is_shared_change(method, path):
            return super().request(method, path, body, headers, token, key)
        # A catalog or webhook change is answered once committed on its home node; the other
        # nodes apply it from PostgreSQL's notice moments later (docs/cluster.md, "Shared
        # state"). A test that next pings through another node waits for that, as it should.
        before = self._shared_notices()
        answer = super().request(method, path, body, headers, token, key)
        if answer[0] < 300:
            self._await_shared_notices(before)
        return answer

    def _shared_notices(self):
        return {index: node.metric(SHARED_NOTICES) or 0.0 for index, node in self.rig.nodes.items()}

    def _await_shared_notices(self, before):
        deadline = time.monotonic() + SHARED_STATE_TIMEOUT_S
        while time.monotonic() < deadline:
            now = self._shared_notices()
            if all(now[index] > count for index, count in before.items()):
                return
            time.sleep(0.01)

    def hs256_secret(self):
        return self.rig.hs256_secret()

    def close(self):
        self.close_connections()
        failures = []
        try:
            self.rig.stop()
        except AssertionError as e:
            failures.append(str(e))
        if self.openapi_failures:
            failures.append("answers that contradict docs/openapi.json, in a thread of the test:\n" +
                            "\n".join(self.openapi_failures[:10]))
        if failures:
            raise AssertionError("\n".join(failures))
