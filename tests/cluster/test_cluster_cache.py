"""A node's memory as a cache of its users, end to end: a node with a tiny --cache-max-bytes
evicts the users it has written to PostgreSQL, and loads each back on its next request with
exactly what it held; a second node taking over reads what the first wrote."""

import time
import unittest

from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from progressd_fixture import SERVICE_KEY

USERS = [f"cache-user-{i}" for i in range(40)]


def setUpModule():
    skip_unless_cluster()


def ping(node, user, position, session="s1", seq=1):
    status, _, _, body = node.request("POST", "/v1/progress", key=SERVICE_KEY, body={
        "user_id": user, "content_id": "lesson-1", "position_seconds": position,
        "duration_seconds": 600, "session_id": session, "seq": seq, "time_spent_seconds": 10})
    return status, body


def read(node, user):
    status, _, _, body = node.request("GET", f"/v1/progress/lesson-1?user_id={user}", key=SERVICE_KEY)
    return status, body


class CacheTest(unittest.TestCase):
    def test_evicted_users_come_back_whole(self):
        # One node: it owns every partition, so every user is served (and cached) here.
        with ClusterRig(shared_postgres(), nodes=1, haproxy=False,
                        extra_args=["--cache-max-bytes", "1", "--flush-interval-ms", "100"]) as rig:
            node = rig.nodes[1]
            held = {}
            for user in USERS:
                status, body = ping(node, user, 100)
                self.assertEqual(status, 200, body)
                status, held[user] = read(node, user)
                self.assertEqual(status, 200, held[user])
            # Written behind within the interval; the janitor then evicts every user it may
            # (one touched within the last second stays).
            rig.wait_for(lambda: node.metric("progressd_user_evictions_total") >= len(USERS) // 2,
                         "users evicted over --cache-max-bytes", timeout=15)
            self.assertLess(node.metric("progressd_resident_users"), len(USERS))
            loads_before = node.metric("progressd_user_loads_total")
            for user in USERS:
                status, body = read(node, user)
                self.assertEqual(status, 200, body)
                self.assertEqual(body, held[user], user)
            self.assertGreater(node.metric("progressd_user_loads_total"), loads_before)
            rig.wait_for(lambda: node.metric("progressd_resident_users") < len(USERS) // 2,
                         "the users read back evicted again", timeout=15)
            # The same ping again is a repeat: its (session_id, seq) is remembered across the
            # eviction, so nothing changes and no time is counted twice.
            status, body = ping(node, USERS[0], 100)
            self.assertEqual(status, 200, body)
            self.assertEqual(read(node, USERS[0])[1], held[USERS[0]])
            # A later ping merges onto the reloaded record.
            status, body = ping(node, USERS[1], 200, seq=2)
            self.assertEqual(status, 200, body)
            after = read(node, USERS[1])[1]
            self.assertEqual(after["position_seconds"], 200, after)
            self.assertGreaterEqual(after["time_spent_seconds"], held[USERS[1]]["time_spent_seconds"], after)
            self.assertEqual(after["first_accessed_at"], held[USERS[1]]["first_accessed_at"], after)


if __name__ == "__main__":
    unittest.main()
