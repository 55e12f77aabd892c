"""Enrolments (docs/data-model.md "Enrolments", docs/native-api.md "Enrolments"): implicit on the
first progress in a context, explicit through /v1/users/{user_id}/enrolments/{collection_id},
persisted across a restart and a kill -9 in sync mode."""

import time
import unittest

from clients import PingClient, ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, assert_problem, one_process_only, unique

FIELDS = {"user_id", "collection_id", "context_id", "enrolled_at", "expires_at", "active", "expired",
          "source", "updated_at"}


class EnrolmentCase(PingClient, ServerCase):

    def listing(self, user, expect=200, query="", **credentials):
        if not credentials:
            credentials = {"key": SERVICE_KEY}
        status, _, raw, doc = self.server.request("GET", f"/v1/users/{user}/enrolments{query}", **credentials)
        self.assertEqual(status, expect, raw[:600])
        if expect == 200:
            for item in doc["results"]:
                self.assertEqual(set(item), FIELDS, item)
        return doc

    def enrolment_path(self, user, collection, context=None):
        path = f"/v1/users/{user}/enrolments/{collection}"
        return path + (f"?context_id={context}" if context is not None else "")


class ImplicitTest(EnrolmentCase):
    def test_first_progress_in_a_context_enrols(self):
        user = unique("user")
        token = self.server.user_token(user)
        before = int(time.time() * 1000)
        self.ping(token, {"content_id": "l1", "context_id": "batch-1", "collection_id": "course-x"})
        self.ping(token, {"content_id": "l2", "context_id": "batch-1", "collection_id": "course-x"})
        self.ping(token, {"content_id": "l1", "collection_id": "course-x"})  # organic: no enrolment
        doc = self.listing("me", token=token)
        self.assertEqual(len(doc["results"]), 1, doc)
        item = doc["results"][0]
        self.assertEqual(item["user_id"], user)
        self.assertEqual(item["collection_id"], "course-x")
        self.assertEqual(item["context_id"], "batch-1")
        self.assertEqual(item["source"], "implicit")
        self.assertIs(item["active"], True)
        self.assertIs(item["expired"], False)
        self.assertIsNone(item["expires_at"])
        self.assertGreaterEqual(item["enrolled_at"], before - 1000)

    def test_without_collection_id_the_catalog_names_the_course(self):
        course = unique("course")
        unit = course + "-unit"
        status, _, raw, _ = self.server.request("POST", "/v1/contents:import", [
            {"id": course, "type": "course", "children": [unit]},
            {"id": unit, "type": "course-part", "children": [course + "-l1"]}], key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        user = unique("user")
        token = self.server.user_token(user)
        self.ping(token, {"content_id": course + "-l1", "context_id": "b7"})
        self.ping(token, {"content_id": unique("stray"), "context_id": "b7"})  # unknown: nothing
        doc = self.listing(user)
        self.assertEqual([(e["collection_id"], e["context_id"]) for e in doc["results"]], [(course, "b7")])


class ExplicitTest(EnrolmentCase):
    def test_put_get_list_delete(self):
        user = unique("user")
        course = unique("course")
        path = self.enrolment_path(user, course, "batch-2")
        status, _, raw, doc = self.server.request("PUT", path, {"expires_at": 4102444800000}, key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        self.assertEqual(doc["source"], "explicit")
        self.assertEqual(doc["expires_at"], 4102444800000)
        self.assertIs(doc["active"], True)
        enrolled_at = doc["enrolled_at"]
        status, _, raw, doc = self.server.request("PUT", path, {"active": False, "expires_at": None}, key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertIs(doc["active"], False)
        self.assertIsNone(doc["expires_at"])
        self.assertEqual(doc["enrolled_at"], enrolled_at)
        status, _, raw, doc = self.server.request("GET", path, key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertIs(doc["active"], False)
        # An empty body is fine; a context-less enrolment is another one.
        status, _, raw, _ = self.server.request("PUT", self.enrolment_path(user, course), key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        self.assertEqual(len(self.listing(user)["results"]), 2)
        self.assertEqual(len(self.listing(user, query=f"?collection_id={course}")["results"]), 2)
        self.assertEqual(self.listing(user, query="?collection_id=other")["results"], [])
        status, _, raw, _ = self.server.request("DELETE", path, key=SERVICE_KEY)
        self.assertEqual(status, 204, raw)
        assert_problem(self, self.server.request("GET", path, key=SERVICE_KEY), 404, "not-found")
        status, _, raw, _ = self.server.request("DELETE", path, key=SERVICE_KEY)
        self.assertEqual(status, 204, raw)
        self.assertEqual(len(self.listing(user)["results"]), 1)

    def test_expired_enrolments_say_so(self):
        user = unique("user")
        path = self.enrolment_path(user, "course-e", "b")
        status, _, raw, doc = self.server.request("PUT", path, {"enrolled_at": 1000, "expires_at": 2000},
                                                  key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        self.assertEqual(doc["enrolled_at"], 1000)
        self.assertIs(doc["expired"], True)
        self.assertIs(doc["active"], True)

    def test_users_read_their_own_and_services_write(self):
        user = unique("user")
        token = self.server.user_token(user)
        path = self.enrolment_path(user, "course-a", "b")
        assert_problem(self, self.server.request("PUT", path, {}, token=token), 403, "forbidden")
        assert_problem(self, self.server.request("DELETE", path, token=token), 403, "forbidden")
        self.server.request("PUT", path, {}, key=SERVICE_KEY)
        status, _, raw, doc = self.server.request("GET", self.enrolment_path("me", "course-a", "b"), token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["user_id"], user)
        assert_problem(self, self.server.request("GET", f"/v1/users/{unique('other')}/enrolments", token=token),
                       403, "forbidden")
        assert_problem(self, self.server.request("GET", "/v1/users/me/enrolments", key=SERVICE_KEY),
                       422, "validation", "user_id")

    def test_bad_input_is_422_naming_the_field(self):
        path = self.enrolment_path(unique("user"), "course-v", "b")
        for body, field in (({"expires_at": -1}, "expires_at"), ({"enrolled_at": "today"}, "enrolled_at"),
                            ({"active": "yes"}, "active")):
            assert_problem(self, self.server.request("PUT", path, body, key=SERVICE_KEY), 422, "validation", field)
        assert_problem(self, self.server.request("PUT", path, "[1]", key=SERVICE_KEY), 422, "validation", "body")
        assert_problem(self, self.server.request("PUT", self.enrolment_path("u", "bad%20id"), {}, key=SERVICE_KEY),
                       422, "validation", "collection_id")
        assert_problem(self, self.server.request("PUT", self.enrolment_path("u", "c", "bad%20ctx"), {},
                                                 key=SERVICE_KEY), 422, "validation", "context_id")


@one_process_only("kill -9 and restart of one process (the cluster's: tests/cluster/)")
class EnrolmentDurabilityTest(unittest.TestCase):
    def test_enrolments_survive_kill_9_in_sync_mode_and_restart(self):
        server = ProgressdServer(durability="sync")
        try:
            token = server.user_token("dur-enrol-user")
            for i in range(10):
                status, _, raw, _ = server.request("PUT", f"/v1/users/dur-enrol-user/enrolments/course-{i}?context_id=b",
                                                   {"expires_at": 4102444800000 + i}, key=SERVICE_KEY)
                self.assertEqual(status, 201, raw)
            status, _, raw, _ = server.request("DELETE", "/v1/users/dur-enrol-user/enrolments/course-9?context_id=b",
                                               key=SERVICE_KEY)
            self.assertEqual(status, 204, raw)
            ping(self, server, {"content_id": "l1", "context_id": "b", "collection_id": "course-implicit"},
                 token=token)
            server.kill9()
            server.start()
            self.assertEqual(server.ready_event.get("enrolments"), 10)
            doc = server.request("GET", "/v1/users/dur-enrol-user/enrolments", key=SERVICE_KEY)[3]
            by_collection = {e["collection_id"]: e for e in doc["results"]}
            self.assertEqual(len(by_collection), 10, doc)
            self.assertEqual(by_collection["course-3"]["expires_at"], 4102444800003)
            self.assertNotIn("course-9", by_collection)
            self.assertEqual(by_collection["course-implicit"]["source"], "implicit")
            self.assertEqual(server.stop_sigterm(), 0)
            server.start()
            doc = server.request("GET", "/v1/users/dur-enrol-user/enrolments", key=SERVICE_KEY)[3]
            self.assertEqual(len(doc["results"]), 10)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
