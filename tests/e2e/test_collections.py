"""Collection progress (docs/data-model.md "Collections", docs/native-api.md "Collections"):
GET /v1/collections/{id}/progress over the catalog and a user's records, end to end."""

import unittest

from clients import PingClient
from progressd_fixture import SERVICE_KEY, ServerCase, assert_problem, unique


class CollectionCase(PingClient, ServerCase):

    def put(self, content_id, body):
        status, _, raw, _ = self.server.request("PUT", "/v1/contents/" + content_id, body, key=SERVICE_KEY)
        self.assertIn(status, (200, 201), raw)

    def course(self, lessons, durations=None, optional=(), prefix="course"):
        """A course whose lessons are `lessons` ids (durations: {id: seconds})."""
        course = unique(prefix)
        ids = [f"{course}-{lesson}" for lesson in lessons]
        self.put(course, {"type": "course", "title": "A course", "children": ids})
        for lesson, content_id in zip(lessons, ids):
            body = {"type": "video", "title": f"Lesson {lesson}"}
            if durations and lesson in durations:
                body["duration_seconds"] = durations[lesson]
            if lesson in optional:
                body["optional"] = True
            self.put(content_id, body)
        return course, ids

    def complete(self, token, content_id, context=None, time_spent=0):
        body = {"content_id": content_id, "event": "complete", "time_spent_delta_seconds": time_spent}
        if context:
            body["context_id"] = context
        return self.ping(token, body)

    def progress(self, token, collection, context=None, expect=200, **query):
        path = f"/v1/collections/{collection}/progress"
        params = dict(query)
        if context is not None:
            params["context_id"] = context
        if params:
            path += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        status, _, raw, doc = self.server.request("GET", path, token=token)
        self.assertEqual(status, expect, raw[:600])
        return doc


class AggregateTest(CollectionCase):
    def test_six_lessons_two_completed_one_started(self):
        course, ids = self.course(["1", "2", "3", "4", "5", "6"])
        user = unique("user")
        token = self.server.user_token(user)
        self.complete(token, ids[0], time_spent=30)
        self.complete(token, ids[1], time_spent=40)
        self.ping(token, {"content_id": ids[2], "position_seconds": 50, "duration_seconds": 100,
                          "time_spent_delta_seconds": 50})
        doc = self.progress(token, course)
        self.assertEqual(doc["user_id"], user)
        self.assertEqual(doc["context_id"], "")
        self.assertEqual(doc["collection_id"], course)
        self.assertEqual(doc["type"], "course")
        self.assertEqual(doc["title"], "A course")
        self.assertAlmostEqual(doc["progress_percent"], 250 / 6, places=6)
        self.assertEqual(doc["status"], 1)
        self.assertIs(doc["completed"], False)
        self.assertEqual(doc["counts"], {"total": 6, "completed": 2, "in_progress": 1, "not_started": 3,
                                         "optional": 0})
        self.assertEqual(doc["current_child_id"], ids[2])
        self.assertEqual(doc["current_content_id"], ids[2])
        self.assertEqual(doc["time_spent_seconds"], 120)
        self.assertIsInstance(doc["last_accessed_at"], int)
        self.assertIsNone(doc["completed_at"])
        self.assertEqual([c["content_id"] for c in doc["children"]], ids)
        third = doc["children"][2]
        self.assertEqual(third["title"], "Lesson 3")
        self.assertEqual(third["status"], 1)
        self.assertEqual(third["progress_percent"], 50)
        self.assertEqual(third["position_seconds"], 50)
        self.assertEqual(doc["children"][5]["status"], 0)
        self.assertIsNone(doc["children"][5]["position_seconds"])
        self.assertIsNone(doc["children"][5]["last_accessed_at"])

    def test_durations_weight_and_completion(self):
        course, ids = self.course(["a", "b"], durations={"a": 100, "b": 300})
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0])
        doc = self.progress(token, course)
        self.assertEqual(doc["weighting"], "duration")
        self.assertAlmostEqual(doc["progress_percent"], 25, places=6)
        self.assertEqual(doc["duration_seconds"], 400)
        self.complete(token, ids[1])
        doc = self.progress(token, course)
        self.assertEqual(doc["status"], 2)
        self.assertIs(doc["completed"], True)
        self.assertEqual(doc["progress_percent"], 100)
        self.assertIsInstance(doc["completed_at"], int)
        self.assertEqual(doc["current_child_id"], ids[1])  # all done: the last one

    def test_optional_lessons_do_not_count(self):
        course, ids = self.course(["1", "bonus", "2"], optional=("bonus",))
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0])
        self.complete(token, ids[2])
        doc = self.progress(token, course)
        self.assertIs(doc["completed"], True)
        self.assertEqual(doc["counts"]["optional"], 1)
        self.assertIs(doc["children"][1]["optional"], True)

    def test_nested_units(self):
        course = unique("nested")
        units = [f"{course}-u1", f"{course}-u2"]
        lessons = {units[0]: [f"{course}-a", f"{course}-b"], units[1]: [f"{course}-c"]}
        self.put(course, {"type": "course", "children": units})
        for unit in units:
            self.put(unit, {"type": "course-part", "children": lessons[unit]})
        token = self.server.user_token(unique("user"))
        for lesson in lessons[units[0]]:
            self.complete(token, lesson)
        doc = self.progress(token, course)
        self.assertEqual(doc["counts"]["completed"], 1)
        self.assertAlmostEqual(doc["progress_percent"], 50, places=6)
        self.assertEqual(doc["current_child_id"], units[1])
        self.assertEqual(doc["current_content_id"], lessons[units[1]][0])
        unit1 = doc["children"][0]
        self.assertIs(unit1["collection"], True)
        self.assertIs(unit1["completed"], True)
        self.assertEqual([c["content_id"] for c in unit1["children"]], lessons[units[0]])

    def test_contexts_are_separate(self):
        course, ids = self.course(["1", "2"])
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0], context="batch-1")
        self.assertEqual(self.progress(token, course)["progress_percent"], 0)
        self.assertEqual(self.progress(token, course, context="")["status"], 0)
        doc = self.progress(token, course, context="batch-1")
        self.assertEqual(doc["context_id"], "batch-1")
        self.assertEqual(doc["progress_percent"], 50)

    def test_a_catalog_change_shows_on_the_next_read(self):
        course, ids = self.course(["1", "2"])
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0])
        self.complete(token, ids[1])
        self.assertIs(self.progress(token, course)["completed"], True)
        self.put(course, {"type": "course", "children": ids + [course + "-3"]})
        doc = self.progress(token, course)
        self.assertIs(doc["completed"], False)
        self.assertAlmostEqual(doc["progress_percent"], 200 / 3, places=6)
        self.assertEqual(doc["current_child_id"], course + "-3")
        self.assertIsNone(doc["children"][2]["type"])  # no entry of its own

    def test_a_learned_collection_aggregates(self):
        course = unique("learned")
        token = self.server.user_token(unique("user"))
        self.ping(token, {"content_id": "x1", "collection_id": course, "event": "complete"})
        self.ping(token, {"content_id": "x2", "collection_id": course, "progress_percent": 20})
        doc = self.progress(token, course)
        self.assertEqual(doc["type"], "collection")
        self.assertAlmostEqual(doc["progress_percent"], 60, places=6)
        self.assertEqual(doc["current_child_id"], "x2")

    def test_an_empty_collection(self):
        course = unique("empty")
        self.put(course, {"type": "course"})
        doc = self.progress(self.server.user_token(unique("user")), course)
        self.assertEqual(doc["progress_percent"], 0)
        self.assertEqual(doc["status"], 0)
        self.assertIsNone(doc["current_child_id"])
        self.assertEqual(doc["children"], [])


class ResetTest(CollectionCase):
    """DELETE /v1/progress/{content_id} answers the parent's aggregate (docs/data-model.md "Resets and
    erasure")."""

    def reset(self, token, content_id, context=None):
        path = "/v1/progress/" + content_id + (f"?context_id={context}" if context else "")
        return self.server.request("DELETE", path, token=token)

    def test_a_lesson_with_a_parent_answers_the_parent_aggregate(self):
        course, ids = self.course(["1", "2"])
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0])
        self.complete(token, ids[1])
        status, headers, raw, doc = self.reset(token, ids[0])
        self.assertEqual(status, 200, raw)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertEqual(doc["collection_id"], course)
        self.assertEqual(doc["progress_percent"], 50)
        self.assertEqual(doc["current_child_id"], ids[0])
        self.assertEqual(doc["children"][0]["status"], 0)
        self.assertEqual(self.server.request("GET", "/v1/progress/" + ids[0], token=token)[0], 404)
        # Idempotent: the same answer again.
        status, _, raw, again = self.reset(token, ids[0])
        self.assertEqual(status, 200, raw)
        self.assertEqual(again["progress_percent"], 50)

    def test_a_content_without_parent_answers_204(self):
        token = self.server.user_token(unique("user"))
        content = unique("solo")
        self.complete(token, content)
        status, _, raw, _ = self.reset(token, content)
        self.assertEqual(status, 204, raw)
        self.assertEqual(raw, b"")

    def test_the_parent_aggregate_is_in_the_reset_context(self):
        course, ids = self.course(["1", "2"])
        token = self.server.user_token(unique("user"))
        self.complete(token, ids[0], context="b1")
        self.complete(token, ids[1], context="b1")
        self.complete(token, ids[1])
        status, _, raw, doc = self.reset(token, ids[1], context="b1")
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["context_id"], "b1")
        self.assertEqual(doc["progress_percent"], 50)
        self.assertIs(self.progress(token, course)["children"][1]["completed"], True)  # "" untouched

    def test_a_nested_lesson_answers_its_unit_and_a_learned_one_its_collection(self):
        course = unique("nested")
        unit = course + "-u"
        self.put(course, {"children": [unit]})
        self.put(unit, {"children": [course + "-a"]})
        token = self.server.user_token(unique("user"))
        status, _, raw, doc = self.reset(token, course + "-a")
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["collection_id"], unit)
        learned = unique("learned")
        lesson = unique("lesson")
        self.ping(token, {"content_id": lesson, "collection_id": learned, "event": "complete"})
        status, _, raw, doc = self.reset(token, lesson)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["collection_id"], learned)
        self.assertEqual(doc["status"], 0)


class AccessTest(CollectionCase):
    def test_unknown_collection_is_404(self):
        token = self.server.user_token(unique("user"))
        assert_problem(self, self.server.request("GET", f"/v1/collections/{unique('nope')}/progress",
                                                 token=token), 404, "not-found")
        assert_problem(self, self.server.request("GET", "/v1/collections/bad%20id/progress", token=token),
                       422, "validation", "collection_id")

    def test_services_name_the_user_and_users_read_only_their_own(self):
        course, ids = self.course(["1"])
        user = unique("user")
        token = self.server.user_token(user)
        self.complete(token, ids[0])
        status, _, raw, doc = self.server.request(
            "GET", f"/v1/collections/{course}/progress?user_id={user}", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertIs(doc["completed"], True)
        assert_problem(self, self.server.request("GET", f"/v1/collections/{course}/progress", key=SERVICE_KEY),
                       422, "validation", "user_id")
        assert_problem(self, self.server.request("GET", f"/v1/collections/{course}/progress?user_id=other",
                                                 token=token), 403, "forbidden")


if __name__ == "__main__":
    unittest.main()
