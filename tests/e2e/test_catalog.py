"""The catalog (docs/data-model.md "Catalog", docs/native-api.md "Catalog"): PUT/GET/DELETE
/v1/contents/{id}, the import, collections learned from pings, the --catalog file, and persistence
across a restart and a kill -9 in sync mode."""

import json
import os
import subprocess
import tempfile
import time
import unittest

from clients import PingClient, ping
from progressd_fixture import (CLUSTER_MODE, PROGRESSD, SERVICE_KEY, ProgressdServer, ServerCase, assert_problem,
                               one_process_only, unique)

ENTRY_FIELDS = {"id", "type", "title", "duration_seconds", "parent_id", "children", "optional",
                "attributes", "learned", "updated_at"}


class CatalogCase(ServerCase):

    def put(self, content_id, body, expect=None, key=SERVICE_KEY, token=None):
        response = self.server.request("PUT", "/v1/contents/" + content_id, body,
                                       key=None if token else key, token=token)
        if expect is not None:
            self.assertEqual(response[0], expect, response[2][:600])
        return response

    def get(self, content_id, expect=200, **credentials):
        if not credentials:
            credentials = {"key": SERVICE_KEY}
        status, headers, raw, doc = self.server.request("GET", "/v1/contents/" + content_id, **credentials)
        self.assertEqual(status, expect, raw[:600])
        if expect == 200:
            self.assertEqual(set(doc), ENTRY_FIELDS, doc)
        return doc


class CatalogApiTest(CatalogCase):
    def test_put_creates_then_replaces_and_get_returns_it(self):
        course = unique("course")
        body = {"type": "course", "title": "Intro to Rust", "duration_seconds": 3600,
                "children": ["l1", "l2"], "attributes": {"thumbnail_url": "https://x/t.png",
                                                         "instructors": ["Ada"]}}
        status, _, raw, doc = self.put(course, body, expect=201)
        self.assertEqual(doc["id"], course)
        self.assertEqual(doc["children"], ["l1", "l2"])
        got = self.get(course)
        self.assertEqual(got["type"], "course")
        self.assertEqual(got["title"], "Intro to Rust")
        self.assertEqual(got["duration_seconds"], 3600)
        self.assertIsNone(got["parent_id"])
        self.assertIs(got["optional"], False)
        self.assertIs(got["learned"], False)
        self.assertEqual(got["attributes"], body["attributes"])
        self.assertIsInstance(got["updated_at"], int)
        # A second PUT replaces the whole entry.
        status, _, raw, doc = self.put(course, {"id": course, "children": ["l3"], "optional": True}, expect=200)
        got = self.get(course)
        self.assertEqual(got["children"], ["l3"])
        self.assertEqual(got["type"], "content")
        self.assertIsNone(got["duration_seconds"])
        self.assertEqual(got["attributes"], {})
        self.assertIs(got["optional"], True)

    def test_delete_is_idempotent(self):
        lesson = unique("lesson")
        self.put(lesson, {"type": "video"}, expect=201)
        status, _, raw, _ = self.server.request("DELETE", "/v1/contents/" + lesson, key=SERVICE_KEY)
        self.assertEqual(status, 204, raw)
        assert_problem(self, self.server.request("GET", "/v1/contents/" + lesson, key=SERVICE_KEY),
                       404, "not-found")
        status, _, raw, _ = self.server.request("DELETE", "/v1/contents/" + lesson, key=SERVICE_KEY)
        self.assertEqual(status, 204, raw)

    def test_users_read_but_do_not_write(self):
        lesson = unique("lesson")
        token = self.server.user_token(unique("user"))
        assert_problem(self, self.put(lesson, {"type": "video"}, token=token), 403, "forbidden")
        self.put(lesson, {"type": "video", "title": "T"}, expect=201)
        self.assertEqual(self.get(lesson, token=token)["title"], "T")
        assert_problem(self, self.server.request("DELETE", "/v1/contents/" + lesson, token=token),
                       403, "forbidden")
        assert_problem(self, self.server.request("POST", "/v1/contents:import", [{"id": "x"}], token=token),
                       403, "forbidden")
        assert_problem(self, self.server.request("GET", "/v1/contents/" + lesson), 401, "missing-credentials")

    def test_bad_entries_are_422_naming_the_field(self):
        course = unique("course")
        assert_problem(self, self.put(course, {"id": "another"}), 422, "validation", "id")
        assert_problem(self, self.put(course, {"children": ["ok", "ok"]}), 422, "validation", "children[1]")
        assert_problem(self, self.put(course, {"children": [course]}), 422, "validation", "children[0]")
        assert_problem(self, self.put(course, {"children": "l1"}), 422, "validation", "children")
        assert_problem(self, self.put(course, {"duration_seconds": -5}), 422, "validation", "duration_seconds")
        assert_problem(self, self.put(course, {"optional": "yes"}), 422, "validation", "optional")
        assert_problem(self, self.put(course, {"attributes": [1]}), 422, "validation", "attributes")
        assert_problem(self, self.put(course, {"parent_id": "bad id"}), 422, "validation", "parent_id")
        assert_problem(self, self.put(course, "{not json"), 400, "malformed-json")
        assert_problem(self, self.put("bad%20id", {}), 422, "validation", "id")
        self.get(course, expect=404)

    def test_import_is_all_or_nothing(self):
        a, b = unique("imp-a"), unique("imp-b")
        status, _, raw, doc = self.server.request(
            "POST", "/v1/contents:import",
            [{"id": a, "type": "course", "children": [b]}, {"id": b, "type": "video", "duration_seconds": 60}],
            key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc, {"imported": 2})
        self.assertEqual(self.get(a)["children"], [b])
        self.assertEqual(self.get(b)["duration_seconds"], 60)
        c = unique("imp-c")
        doc = assert_problem(self, self.server.request(
            "POST", "/v1/contents:import", {"contents": [{"id": c}, {"id": "bad id"}]}, key=SERVICE_KEY),
            422, "validation", "contents[1].id")
        self.get(c, expect=404)
        assert_problem(self, self.server.request("POST", "/v1/contents:import", [], key=SERVICE_KEY),
                       422, "validation", "body")
        assert_problem(self, self.server.request("POST", "/v1/contents:import", {"id": c}, key=SERVICE_KEY),
                       422, "validation", "body")

    def test_wrong_method_is_405(self):
        status, headers, _, _ = self.server.request("POST", "/v1/contents/x", {}, key=SERVICE_KEY)
        self.assertEqual(status, 405)
        self.assertIn("PUT", headers.get("allow", ""))


class LearningTest(PingClient, CatalogCase):
    def ping_in(self, token, content, collection, context=None):
        """A ping of `content` that names `collection`, as a player sends it."""
        body = {"content_id": content, "collection_id": collection, "position_seconds": 5,
                "duration_seconds": 100}
        if context:
            body["context_id"] = context
        self.ping(token, body)

    def get_settled(self, content_id, settled):
        """The entry once `settled(doc)` holds. On a cluster a collection learned from pings is
        written by the users' nodes at their next flush and reaches the catalog's home node then
        (docs/cluster.md, "Shared state"): it is read until it has (at most 5 s); on one server
        the first read must already have it."""
        deadline = time.monotonic() + (5 if CLUSTER_MODE else 0)
        while time.monotonic() < deadline:
            status, _, _, doc = self.server.request("GET", "/v1/contents/" + content_id, key=SERVICE_KEY)
            if status == 200 and settled(doc):
                break
            time.sleep(0.1)
        return self.get(content_id)

    def test_an_unknown_collection_is_learned_from_pings(self):
        course = unique("learned")
        token = self.server.user_token(unique("user"))
        self.ping_in(token, "l1", course)
        self.ping_in(token, "l2", course)
        self.ping_in(token, "l1", course)
        other_token = self.server.user_token(unique("user"))
        self.ping_in(other_token, "l3", course)
        doc = self.get_settled(course, lambda d: sorted(d["children"]) == ["l1", "l2", "l3"])
        self.assertIs(doc["learned"], True)
        self.assertEqual(doc["type"], "collection")
        if CLUSTER_MODE:
            # Learned on two nodes at once: every child is kept, in the order the nodes' rows met
            # (docs/cluster.md, "Shared state").
            self.assertEqual(sorted(doc["children"]), ["l1", "l2", "l3"])
        else:
            self.assertEqual(doc["children"], ["l1", "l2", "l3"])

    def test_a_managed_collection_is_not_changed_by_pings(self):
        course = unique("managed")
        self.put(course, {"type": "course", "children": ["l1"]}, expect=201)
        self.ping_in(self.server.user_token(unique("user")), "stray", course)
        self.assertEqual(self.get(course)["children"], ["l1"])

    def test_putting_a_learned_collection_makes_it_managed(self):
        course = unique("adopted")
        token = self.server.user_token(unique("user"))
        self.ping_in(token, "l1", course)
        self.get_settled(course, lambda d: d["children"] == ["l1"])
        self.put(course, {"type": "course", "children": ["l1", "l2"]}, expect=200)
        self.ping_in(token, "l9", course)
        doc = self.get(course)
        self.assertIs(doc["learned"], False)
        self.assertEqual(doc["children"], ["l1", "l2"])


@one_process_only("the catalog file at one process's start and restart")
class CatalogFileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="progressd-catalog-")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()
        self.tmp.cleanup()

    def write_catalog(self, entries, name="catalog.json"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(entries if isinstance(entries, str) else json.dumps(entries))
        return path

    def start(self, **kwargs):
        server = ProgressdServer(**kwargs)
        self.servers.append(server)
        return server

    def test_the_file_is_loaded_at_start_and_wins_for_its_ids(self):
        path = self.write_catalog([
            {"id": "course-f", "type": "course", "title": "From file", "children": ["f1", "f2"]},
            {"id": "f1", "type": "video", "duration_seconds": 100, "parent_id": "course-f"},
        ])
        server = self.start(extra_args=["--catalog", path])
        self.assertEqual(server.ready_event.get("catalog_file_entries"), 2)
        status, _, raw, doc = server.request("GET", "/v1/contents/course-f", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["title"], "From file")
        self.assertEqual(doc["children"], ["f1", "f2"])
        # Changed through the API, then the server restarts with the same file: the file wins for
        # its ids; entries it does not name stay.
        server.request("PUT", "/v1/contents/course-f", {"title": "Changed"}, key=SERVICE_KEY)
        server.request("PUT", "/v1/contents/api-only", {"title": "Kept"}, key=SERVICE_KEY)
        server.restart()
        self.assertEqual(server.request("GET", "/v1/contents/course-f", key=SERVICE_KEY)[3]["title"], "From file")
        self.assertEqual(server.request("GET", "/v1/contents/api-only", key=SERVICE_KEY)[3]["title"], "Kept")

    def test_a_bad_file_stops_the_start(self):
        for content in ("[{", '[{"id": "bad id"}]', '{"id": "x"}'):
            path = self.write_catalog(content)
            data_dir = os.path.join(self.tmp.name, "data-bad")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
            done = subprocess.run([PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                   "--catalog", path], capture_output=True, text=True, timeout=20, env=env)
            self.assertNotEqual(done.returncode, 0, content)
            self.assertIn("--catalog", done.stderr, done.stderr)
        missing = os.path.join(self.tmp.name, "absent.json")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROGRESSD_")}
        done = subprocess.run([PROGRESSD, "--listen", "127.0.0.1:0", "--data-dir",
                               os.path.join(self.tmp.name, "data-missing"), "--catalog", missing],
                              capture_output=True, text=True, timeout=20, env=env)
        self.assertNotEqual(done.returncode, 0)


@one_process_only("kill -9 and restart of one process (the cluster's: tests/cluster/)")
class CatalogDurabilityTest(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()

    def test_catalog_and_learned_collections_survive_restart_and_kill_9_in_sync_mode(self):
        server = ProgressdServer(durability="sync")
        self.servers.append(server)
        token = server.user_token("durable-user")
        for i in range(20):
            status, _, raw, _ = server.request("PUT", f"/v1/contents/dur-{i}",
                                               {"type": "video", "title": f"T{i}", "duration_seconds": i},
                                               key=SERVICE_KEY)
            self.assertIn(status, (200, 201), raw)
        status, _, raw, _ = server.request("POST", "/v1/contents:import",
                                           [{"id": "dur-course", "children": [f"dur-{i}" for i in range(20)]}],
                                           key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        status, _, raw, _ = server.request("DELETE", "/v1/contents/dur-19", key=SERVICE_KEY)
        self.assertEqual(status, 204, raw)
        ping(self, server, {"content_id": "seen-1", "collection_id": "dur-learned"}, token=token)

        server.kill9()
        server.start()
        for i in range(19):
            status, _, raw, doc = server.request("GET", f"/v1/contents/dur-{i}", key=SERVICE_KEY)
            self.assertEqual(status, 200, raw)
            self.assertEqual(doc["title"], f"T{i}")
        self.assertEqual(server.request("GET", "/v1/contents/dur-19", key=SERVICE_KEY)[0], 404)
        self.assertEqual(len(server.request("GET", "/v1/contents/dur-course", key=SERVICE_KEY)[3]["children"]), 20)
        learned = server.request("GET", "/v1/contents/dur-learned", key=SERVICE_KEY)[3]
        self.assertEqual(learned["children"], ["seen-1"])
        self.assertIs(learned["learned"], True)
        self.assertEqual(server.ready_event.get("catalog_entries"), 21)

        self.assertEqual(server.stop_sigterm(), 0)
        server.start()
        self.assertEqual(server.request("GET", "/v1/contents/dur-3", key=SERVICE_KEY)[3]["title"], "T3")


if __name__ == "__main__":
    unittest.main()
