"""A service's batch naming users of every node, sent to one node directly (no HAProxy): the node
serves its own users' pings, forwards each other owner's pings as a batch of their own, and
answers one 200 whose items stand in the order of the pings sent (docs/cluster.md, "Any node
answers any request"). In sync durability, so the node's own part waits for its commit too."""

import json
import tempfile
import unittest
import uuid

from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from haproxy_rig import partition_of
from progressd_fixture import SERVICE_KEY

LESSON = "batch-lesson-1"
CATALOG = [{"id": LESSON, "type": "video", "title": LESSON, "duration_seconds": 600}]
USERS_PER_NODE = 10


def users_of_every_node(rig, family):
    """30 new users, 10 owned by each node, interleaved: node1's, node2's, node3's, node1's…"""
    owners = rig.owners()
    by_owner = {node.node_id: [] for node in rig.nodes.values()}
    while any(len(users) < USERS_PER_NODE for users in by_owner.values()):
        user = f"{family}-{uuid.uuid4().hex[:10]}"
        owned = by_owner[owners[partition_of(user)]]
        if len(owned) < USERS_PER_NODE:
            owned.append(user)
    return [user for row in zip(*by_owner.values()) for user in row]


def setUpModule():
    skip_unless_cluster()


class ClusterBatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="progressd-batch-")
        catalog = f"{cls.tmp.name}/catalog.json"
        with open(catalog, "w") as f:
            json.dump(CATALOG, f)
        cls.rig = ClusterRig(shared_postgres(), nodes=3, haproxy=False, durability="sync",
                             extra_args=["--catalog", catalog])
        cls.rig.__enter__()
        cls.rig.wait_views()

    @classmethod
    def tearDownClass(cls):
        cls.rig.stop()
        cls.tmp.cleanup()

    def send(self, pings):
        status, _, raw, doc = self.rig.nodes[1].request("POST", "/v1/progress/batch", {"pings": pings},
                                                        key=SERVICE_KEY)
        self.assertEqual(status, 200, raw[:800])
        self.assertEqual(len(doc["results"]), len(pings), doc)
        return doc["results"]

    def position_everywhere(self, user):
        """The user's position as each node reads it."""
        positions = set()
        for node in self.rig.nodes.values():
            status, _, raw, doc = node.request("GET", f"/v1/progress/{LESSON}?user_id={user}", key=SERVICE_KEY)
            self.assertEqual(status, 200, f"{user} through {node.node_id}: {raw[:300]!r}")
            positions.add(doc["position_seconds"])
        return positions

    def test_a_batch_of_thirty_users_of_three_nodes(self):
        users = users_of_every_node(self.rig, "batch")
        pings = [{"user_id": user, "content_id": LESSON, "position_seconds": 10 + i, "duration_seconds": 600}
                 for i, user in enumerate(users)]
        results = self.send(pings)
        for i, item in enumerate(results):
            self.assertEqual(item["status"], 200, f"item {i}: {item}")
            self.assertEqual(item["progress"]["content_id"], LESSON, item)
            self.assertEqual(item["progress"]["position_seconds"], 10 + i, f"item {i} out of place: {item}")
        for i, user in enumerate(users):
            self.assertEqual(self.position_everywhere(user), {10 + i}, user)
        forwarded = self.rig.nodes[1].metric('progressd_cluster_requests_total{path="forwarded"}') or 0
        self.assertGreaterEqual(forwarded, 1, "node1 forwarded no part")

    def test_a_bad_ping_keeps_its_error_in_place(self):
        users = users_of_every_node(self.rig, "bad")
        pings = [{"user_id": user, "content_id": LESSON, "position_seconds": 20 + i, "duration_seconds": 600}
                 for i, user in enumerate(users)]
        # users[7] is node2's and users[11] node3's (interleaved): their parts are forwarded, and the
        # owner numbers the bad field by its own part; users[12] is node1's, served here.
        bad = {7: "pings[7].position_seconds", 11: "pings[11].position_seconds", 12: "pings[12].user_id"}
        pings[7]["position_seconds"] = "not a number"
        pings[11]["position_seconds"] = -5
        del pings[12]["user_id"]
        results = self.send(pings)
        for i, item in enumerate(results):
            if i in bad:
                self.assertEqual(item["status"], 422, f"item {i}: {item}")
                fields = [e["field"] for e in item["error"]["errors"]]
                self.assertIn(bad[i], fields, f"item {i}: {item}")
                continue
            self.assertEqual(item["status"], 200, f"item {i}: {item}")
            self.assertEqual(item["progress"]["position_seconds"], 20 + i, f"item {i} out of place: {item}")
        for i in (0, 1, 2, 8, 29):
            self.assertEqual(self.position_everywhere(users[i]), {20 + i}, users[i])


class OwnerAwayTest(unittest.TestCase):
    """An owner killed (kill -9) a moment ago: until its lease runs out (1.5 s) the others still
    see it as the owner and cannot reach it, so only its users' pings fail, each with a 503 item."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="progressd-batch-away-")
        self.addCleanup(tmp.cleanup)
        catalog = f"{tmp.name}/catalog.json"
        with open(catalog, "w") as f:
            json.dump(CATALOG, f)
        self.rig = ClusterRig(shared_postgres(), nodes=3, haproxy=False, extra_args=["--catalog", catalog])
        self.rig.__enter__()
        self.addCleanup(self.rig.stop)
        self.rig.wait_views()

    def test_only_the_away_owners_pings_fail(self):
        users = users_of_every_node(self.rig, "away")
        away = {user for user in users if self.rig.owner_of(user) == self.rig.nodes[3].node_id}
        self.assertEqual(len(away), USERS_PER_NODE)
        pings = [{"user_id": user, "content_id": LESSON, "position_seconds": 30 + i} for i, user in enumerate(users)]
        self.rig.kill_node(3)
        status, _, raw, doc = self.rig.nodes[1].request("POST", "/v1/progress/batch", {"pings": pings},
                                                        key=SERVICE_KEY)
        self.assertEqual(status, 200, raw[:800])
        self.assertEqual(len(doc["results"]), len(pings), doc)
        for i, (user, item) in enumerate(zip(users, doc["results"])):
            if user in away:
                self.assertEqual(item["status"], 503, f"item {i}: {item}")
                self.assertIn("cannot be reached", item["error"]["detail"], item)
            else:
                self.assertEqual(item["status"], 200, f"item {i}: {item}")
                self.assertEqual(item["progress"]["position_seconds"], 30 + i, f"item {i} out of place: {item}")


if __name__ == "__main__":
    unittest.main()
