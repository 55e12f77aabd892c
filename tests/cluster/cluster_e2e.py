"""ClusterServer: what the e2e suites' ServerCase holds in cluster mode (PROGRESSD_E2E_CLUSTER,
tests/e2e/progressd_fixture.py)."""

import threading
import time
import unittest

from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from progressd_fixture import ProgressdServer

# How long a catalog change may take to reach every node after its answer (a notice, one query).
SHARED_STATE_SETTLE_S = 0.1


class ClusterServer(ProgressdServer):
    """What the e2e suites' ServerCase holds in cluster mode (PROGRESSD_E2E_CLUSTER): a 3-node
    cluster with the interface of one ProgressdServer. Requests go through HAProxy ("haproxy") or
    to the first node directly ("direct": the users the other nodes own are forwarded). What only
    one process has (a restart, a data dir) is not there: the tests about it are skipped."""

    def __init__(self, mode, extra_args=(), durability="snapshot"):
        if mode not in ("haproxy", "direct"):
            raise AssertionError(f"PROGRESSD_E2E_CLUSTER: expected haproxy or direct, got {mode!r}")
        skip_unless_cluster()
        # The fixture's HTTP client state, without a process of its own.
        self._local = threading.local()
        self._connections = []
        self._connections_lock = threading.Lock()
        self.openapi_failures = []
        self.durability = durability
        self.process = None
        self.rig = ClusterRig(shared_postgres(), nodes=3, durability=durability,
                              haproxy=(mode == "haproxy"), extra_args=extra_args)
        self.rig.__enter__()
        self.port = self.rig.port

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

    def request(self, method, path, body=None, headers=None, token=None, key=None):
        answer = super().request(method, path, body, headers, token, key)
        # A catalog change is answered once committed on its home node; the other nodes apply it
        # from PostgreSQL's notice within milliseconds (docs/cluster.md, "Shared state"). A test
        # that pings through another node next must give it that moment, as a client would.
        if method in ("PUT", "POST", "DELETE") and path.startswith("/v1/contents") and answer[0] < 300:
            time.sleep(SHARED_STATE_SETTLE_S)
        return answer

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
