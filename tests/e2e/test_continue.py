"""Continue watching (docs/data-model.md merge rule 7, docs/native-api.md "Continue watching"):
in-progress records newest first, hiding one until its next ping, across a restart."""

import time
import unittest

from clients import PingClient, post_ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, assert_problem, one_process_only, unique


class ContinueTest(PingClient, ServerCase):

    def watch(self, token, content, position=10, **extra):
        """A ping of `content` at `position` of 100 s."""
        self.ping(token, {"content_id": content, "position_seconds": position, "duration_seconds": 100, **extra})
        time.sleep(0.005)  # distinct access times

    def listing(self, path, expect=200, **credentials):
        status, _, raw, doc = self.server.request("GET", path, **credentials)
        self.assertEqual(status, expect, raw[:600])
        return doc

    def test_newest_first_without_completed_and_with_hide(self):
        user = unique("user")
        token = self.server.user_token(user)
        self.watch(token, "c-old")
        self.watch(token, "c-done", position=100)
        self.watch(token, "c-mid", context_id="batch")
        self.watch(token, "c-new")
        doc = self.listing("/v1/users/me/continue", token=token)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["c-new", "c-mid", "c-old"])
        self.assertEqual(doc["results"][1]["context_id"], "batch")
        self.assertEqual(self.listing("/v1/users/me/continue?limit=2", token=token)["results"][1]["content_id"],
                         "c-mid")
        status, _, raw, _ = self.server.request("DELETE", "/v1/users/me/continue/c-mid", token=token)
        self.assertEqual(status, 204, raw)
        doc = self.listing("/v1/users/me/continue", token=token)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["c-new", "c-old"])
        record = self.server.request("GET", "/v1/progress/c-mid?context_id=batch", token=token)[3]
        self.assertEqual(record["progress_percent"], 10)  # progress kept
        self.assertIs(record["hidden"], True)
        self.watch(token, "c-mid", position=20, context_id="batch")  # reappears on the next ping
        doc = self.listing(f"/v1/users/{user}/continue", key=SERVICE_KEY)
        self.assertEqual([r["content_id"] for r in doc["results"]], ["c-mid", "c-new", "c-old"])
        self.assertIs(doc["results"][0]["hidden"], False)

    def test_catalog_fields_and_access(self):
        course = unique("course")
        self.server.request("PUT", "/v1/contents/" + course, {"children": [course + "-l1"]}, key=SERVICE_KEY)
        self.server.request("PUT", "/v1/contents/" + course + "-l1", {"type": "video", "title": "Intro"},
                            key=SERVICE_KEY)
        token = self.server.user_token(unique("user"))
        self.watch(token, course + "-l1")
        item = self.listing("/v1/users/me/continue", token=token)["results"][0]
        self.assertEqual(item["title"], "Intro")
        self.assertEqual(item["type"], "video")
        self.assertEqual(item["parent_id"], course)
        assert_problem(self, self.server.request("GET", "/v1/users/me/continue?limit=0", token=token),
                       422, "validation", "limit")
        assert_problem(self, self.server.request("GET", "/v1/users/me/continue?limit=101", token=token),
                       422, "validation", "limit")
        assert_problem(self, self.server.request("GET", f"/v1/users/{unique('x')}/continue", token=token),
                       403, "forbidden")
        status, _, raw, _ = self.server.request("DELETE", "/v1/users/me/continue/never-seen", token=token)
        self.assertEqual(status, 204, raw)
        self.assertEqual(self.listing("/v1/users/me/continue", token=self.server.user_token(unique("u")))["results"], [])


@one_process_only("kill -9 and restart of one process (the cluster's: tests/cluster/)")
class ContinueRestartTest(unittest.TestCase):
    def test_hidden_survives_kill_9_in_sync_mode(self):
        server = ProgressdServer(durability="sync")
        try:
            token = server.user_token("cont-user")
            for content in ("a", "b"):
                post_ping(server, {"content_id": content, "progress_percent": 5}, token=token)
            status, _, raw, _ = server.request("DELETE", "/v1/users/me/continue/a", token=token)
            self.assertEqual(status, 204, raw)
            server.kill9()
            server.start()
            doc = server.request("GET", "/v1/users/me/continue", token=token)[3]
            self.assertEqual([r["content_id"] for r in doc["results"]], ["b"])
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
