"""Read-after-write across nodes, for every API family: a write sent to one node is read back
through the other two, straight away (no HAProxy: each node is asked directly). Users are chosen
so that the owner is the writing node, the reading node, or the third one, so every write and read
is served here, forwarded, or both."""

import json
import tempfile
import unittest
import uuid

from cluster_rig import ClusterRig, shared_postgres, skip_unless_cluster
from haproxy_rig import partition_of
from progressd_fixture import SERVICE_KEY, basic_auth

# UUIDs: the Education API takes nothing else.
COURSE = "6f1c0a52-3b0e-4a43-9d43-8f3e2d7b1a01"
LESSONS = ["6f1c0a52-3b0e-4a43-9d43-8f3e2d7b1a02", "6f1c0a52-3b0e-4a43-9d43-8f3e2d7b1a03"]
CATALOG = [{"id": COURSE, "type": "course", "title": "Read after write", "children": LESSONS}] + \
    [{"id": lesson, "type": "video", "title": lesson, "duration_seconds": 600} for lesson in LESSONS]
SKILLJAR = {"Authorization": basic_auth(SERVICE_KEY)}


def setUpModule():
    skip_unless_cluster()


class ReadAfterWriteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="progressd-raw-")
        catalog = f"{cls.tmp.name}/catalog.json"
        with open(catalog, "w") as f:
            json.dump(CATALOG, f)
        cls.rig = ClusterRig(shared_postgres(), nodes=3, haproxy=False, extra_args=["--catalog", catalog])
        cls.rig.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.rig.stop()
        cls.tmp.cleanup()

    def users_by_owner(self, family):
        """{owner node index: a new user it owns}, one for each node."""
        owners = self.rig.owners()
        found = {}
        while len(found) < 3:
            user = f"{family}-{uuid.uuid4().hex[:8]}"
            index = int(owners[partition_of(user)].removeprefix("node"))
            found.setdefault(index, user)
        return found

    def cases(self, family):
        """(user, owner, writer node, reader nodes): write through node 1, read through 2 and 3."""
        for owner, user in sorted(self.users_by_owner(family).items()):
            yield user, owner, self.rig.nodes[1], [self.rig.nodes[2], self.rig.nodes[3]]

    def check(self, response, status, what):
        got, _, raw, doc = response
        self.assertEqual(got, status, f"{what}: {raw[:500]!r}")
        return doc

    def test_native(self):
        for user, owner, writer, readers in self.cases("native"):
            token = self.rig.user_token(user)
            self.check(writer.request("POST", "/v1/progress", {"content_id": LESSONS[0], "position_seconds": 42,
                                                                "duration_seconds": 600}, token=token),
                       200, f"native write of {user} (owner node{owner})")
            for reader in readers:
                doc = self.check(reader.request("GET", f"/v1/progress/{LESSONS[0]}", token=token), 200,
                                 f"native read through {reader.node_id}")
                self.assertEqual(doc["position_seconds"], 42, doc)

    def test_sunbird(self):
        for user, owner, writer, readers in self.cases("sunbird"):
            headers = {"x-authenticated-user-token": self.rig.user_token(user)}
            envelope = {"id": "api.view.update", "ver": "v1", "ts": "2024-01-01T00:00:00Z",
                        "params": {"msgid": str(uuid.uuid4())},
                        "request": {"contentId": LESSONS[0], "progressDetails": {"mimetype": "video/mp4",
                                                                                  "progress": 35},
                                    "timespent": 10}}
            self.check(writer.request("POST", "/v1/view/update", envelope, headers=headers), 200,
                       f"Sunbird update of {user} (owner node{owner})")
            for reader in readers:
                read = dict(envelope, id="api.view.read", request={"contentId": LESSONS[0]})
                doc = self.check(reader.request("POST", "/v1/view/read", read, headers=headers), 200,
                                 f"Sunbird read through {reader.node_id}")
                [content] = doc["result"]["contents"]
                self.assertEqual(content["progressDetails"]["progress"], 35, doc)

    def test_education(self):
        for user, owner, writer, readers in self.cases("education"):
            token = self.rig.user_token(user)
            self.check(writer.request("PUT", f"/api/v1/education/progress/{COURSE}/lessons/{LESSONS[1]}",
                                      {"status": "in_progress", "video_position_seconds": 375,
                                       "user_notes": "note"}, token=token),
                       200, f"Education PUT of {user} (owner node{owner})")
            for reader in readers:
                doc = self.check(reader.request("GET", f"/api/v1/education/progress/{COURSE}", token=token), 200,
                                 f"Education read through {reader.node_id}")
                [record] = [r for r in doc if r["lesson_id"] == LESSONS[1]]
                self.assertEqual((record["video_position_seconds"], record["user_notes"]), (375, "note"), doc)

    def test_musora(self):
        # A reset is a write: the record written through node 2 is gone when read through 1 and 3.
        for user, owner, writer, readers in self.cases("musora"):
            token = self.rig.user_token(user)
            self.check(self.rig.nodes[2].request("POST", "/v1/progress", {"content_id": LESSONS[0],
                                                                           "position_seconds": 9}, token=token),
                       200, f"native write of {user}")
            self.check(writer.request("PUT", "/musora-api/reset", {"content_id": LESSONS[0]}, token=token), 200,
                       f"Musora reset of {user} (owner node{owner})")
            for reader in [self.rig.nodes[3], self.rig.nodes[2]]:
                self.check(reader.request("GET", f"/v1/progress/{LESSONS[0]}", token=token), 404,
                           f"read after the reset through {reader.node_id}")

    def test_skilljar(self):
        for user, owner, writer, readers in self.cases("skilljar"):
            path = f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}"
            self.check(writer.request("PATCH", path, {"lesson_progress": {"completed_at": "2024-06-03T01:02:03Z"}},
                                      headers=SKILLJAR), 200, f"Skilljar PATCH of {user} (owner node{owner})")
            for reader in readers:
                doc = self.check(reader.request("GET", f"/v1/users/{user}/published-courses/{COURSE}/lessons",
                                                headers=SKILLJAR), 200, f"Skilljar read through {reader.node_id}")
                [lesson] = [r for r in doc["results"] if r["id"] == LESSONS[0]]
                self.assertIsNotNone(lesson["lesson_progress"]["completed_at"], doc)
                record = self.check(reader.request("GET", f"/v1/progress/{LESSONS[0]}?user_id={user}",
                                                   key=SERVICE_KEY), 200, "native read")
                self.assertTrue(record["completed"], record)


if __name__ == "__main__":
    unittest.main()
