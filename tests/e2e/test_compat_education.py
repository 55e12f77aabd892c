"""Education Progress API (seeds/education-progress-api.txt, docs/compat-education.md)
end to end: each request example of the document sent to a real server with a catalog (ids
adapted), the documented fields, FastAPI's error bodies, and progress written through the native
API read back through this one."""

import re
import unittest
import uuid

from clients import ping
from progressd_fixture import SERVICE_KEY, ProgressdServer, ServerCase, one_process_only

# The document's ids: the path example's course, and the response example's lesson.
COURSE = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
LESSON = "2585ba54-c32a-4ece-8fca-c6fa0530db0e"
LESSON_2 = "713e4c61-5a69-43fb-a600-2e2699462e14"
LESSON_3 = "5e757794-c815-4ccc-bf16-1010d8ef2347"
UNKNOWN_COURSE = "a169451c-8525-4352-b8ca-070dd449a1a5"

# The document's response examples, for their field names.
RECORD_FIELDS = {
    "user_id", "course_id", "lesson_id", "content_id", "status", "progress_percentage",
    "video_position_seconds", "quiz_score", "quiz_attempts", "quiz_passed", "time_spent_minutes",
    "user_notes", "is_bookmarked", "metadata", "id", "completed_at", "created_at", "updated_at",
}
SUMMARY_FIELDS = {
    "course_id", "total_lessons", "completed_lessons", "in_progress_lessons",
    "completion_percentage", "total_time_spent_minutes", "last_accessed",
}
ERROR_ENTRY_FIELDS = {"loc", "msg", "type", "input", "ctx"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Rust basics",
         "children": [LESSON, LESSON_2, LESSON_3]},
        {"id": LESSON, "type": "video", "title": "Welcome", "duration_seconds": 600},
        {"id": LESSON_2, "type": "video", "title": "Ownership", "duration_seconds": 600},
        {"id": LESSON_3, "type": "quiz", "title": "Quiz", "duration_seconds": 600},
    ]


class EducationCase(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def user(self):
        name = "edu-" + uuid.uuid4().hex[:10]
        return name, self.server.user_token(name)

    def call(self, method, path, body=None, token=None, expect=200, **kwargs):
        status, headers, raw, doc = self.server.request(method, path, body, token=token, **kwargs)
        self.assertEqual(status, expect, raw[:800])
        if raw:
            self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        return doc, headers

    def put_lesson(self, token, body, lesson=LESSON, course=COURSE, expect=200):
        return self.call("PUT", f"/api/v1/education/progress/{course}/lessons/{lesson}", body, token, expect)[0]

    def assert_record_shape(self, record):
        self.assertEqual(set(record), RECORD_FIELDS)
        self.assertIn(record["status"], ("not_started", "in_progress", "completed"))
        self.assertRegex(record["id"], UUID_RE)
        for field in ("created_at", "updated_at"):
            self.assertRegex(record[field], ISO_UTC)
        if record["completed_at"] is not None:
            self.assertRegex(record["completed_at"], ISO_UTC)
        self.assertIsInstance(record["metadata"], dict)
        self.assertIsInstance(record["is_bookmarked"], bool)
        self.assertIsInstance(record["quiz_passed"], bool)
        self.assertIsInstance(record["quiz_attempts"], int)
        self.assertIsInstance(record["time_spent_minutes"], int)

    def assert_validation(self, doc, loc, error_type):
        self.assertEqual(set(doc), {"detail"})
        self.assertIsInstance(doc["detail"], list)
        for entry in doc["detail"]:
            self.assertEqual(set(entry), ERROR_ENTRY_FIELDS, entry)
            self.assertIsInstance(entry["loc"], list)
            self.assertIsInstance(entry["msg"], str)
            self.assertIsInstance(entry["ctx"], dict)
        matching = [e for e in doc["detail"] if e["loc"] == loc]
        self.assertTrue(matching, f"no error at {loc}: {doc}")
        self.assertEqual(matching[0]["type"], error_type, doc)
        return matching[0]

    # --- the document's request examples -----------------------------------------------------

    def test_get_course_progress_example(self):
        user, token = self.user()
        # curl -X GET ".../api/v1/education/progress/497f6eca-…" → [] before any progress.
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(doc, [])
        self.put_lesson(token, {"status": "in_progress", "progress_percentage": 40})
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(len(doc), 1)
        record = doc[0]
        self.assert_record_shape(record)
        self.assertEqual(record["user_id"], user)
        self.assertEqual(record["course_id"], COURSE)
        self.assertEqual(record["lesson_id"], LESSON)
        self.assertEqual(record["content_id"], LESSON)
        self.assertEqual(record["status"], "in_progress")
        self.assertEqual(record["progress_percentage"], 40)

    def test_put_lesson_progress_example(self):
        user, token = self.user()
        # curl -X PUT ".../lessons/…" -H "Content-Type: application/json" -d '{}'
        record = self.put_lesson(token, {})
        self.assert_record_shape(record)
        self.assertEqual(record["user_id"], user)
        self.assertEqual(record["status"], "not_started")
        self.assertEqual(record["progress_percentage"], 0)
        self.assertEqual(record["video_position_seconds"], 0)
        self.assertIsNone(record["quiz_score"])
        self.assertEqual(record["quiz_attempts"], 0)
        self.assertFalse(record["quiz_passed"])
        self.assertEqual(record["time_spent_minutes"], 0)
        self.assertIsNone(record["user_notes"])
        self.assertFalse(record["is_bookmarked"])
        self.assertEqual(record["metadata"], {})
        self.assertIsNone(record["completed_at"])
        # The same record (same id) on the next write.
        again = self.put_lesson(token, {})
        self.assertEqual(again["id"], record["id"])

    def test_summary_example(self):
        _, token = self.user()
        # curl -X GET ".../progress/497f6eca-…/summary"
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}/summary", token=token)
        self.assertEqual(set(doc), SUMMARY_FIELDS)
        self.assertEqual(doc["course_id"], COURSE)
        self.assertEqual(doc["total_lessons"], 3)
        self.assertEqual(doc["completed_lessons"], 0)
        self.assertEqual(doc["in_progress_lessons"], 0)
        self.assertEqual(doc["completion_percentage"], 0)
        self.assertEqual(doc["total_time_spent_minutes"], 0)
        self.assertIsNone(doc["last_accessed"])

        self.put_lesson(token, {"status": "completed", "time_spent_minutes": 10})
        self.put_lesson(token, {"progress_percentage": 50, "time_spent_minutes": 5}, lesson=LESSON_2)
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}/summary", token=token)
        self.assertEqual(doc["completed_lessons"], 1)
        self.assertEqual(doc["in_progress_lessons"], 1)
        self.assertEqual(doc["completion_percentage"], 50)  # (100 + 50 + 0) / 3, equal durations
        self.assertEqual(doc["total_time_spent_minutes"], 15)
        self.assertRegex(doc["last_accessed"], ISO_UTC)

    # --- every field of the PUT body ------------------------------------------------------------

    def test_put_every_field(self):
        _, token = self.user()
        body = {"status": "in_progress", "progress_percentage": 62.5, "video_position_seconds": 375,
                "quiz_score": 80, "quiz_attempts": 2, "quiz_passed": True, "time_spent_minutes": 7,
                "user_notes": "revisit the borrow checker", "is_bookmarked": True,
                "metadata": {"device": "ipad", "speed": 1.5}}
        record = self.put_lesson(token, body, lesson=LESSON_3)
        self.assert_record_shape(record)
        self.assertEqual(record["status"], "in_progress")
        self.assertEqual(record["progress_percentage"], 62.5)
        self.assertEqual(record["video_position_seconds"], 375)
        self.assertEqual(record["quiz_score"], 80)
        self.assertEqual(record["quiz_attempts"], 2)
        self.assertTrue(record["quiz_passed"])
        self.assertEqual(record["time_spent_minutes"], 7)
        self.assertEqual(record["user_notes"], "revisit the borrow checker")
        self.assertTrue(record["is_bookmarked"])
        self.assertEqual(record["metadata"], {"device": "ipad", "speed": 1.5})
        # Read back through GET: the same values.
        listed, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(listed, [record])
        # The quiz is the native assessments' quiz too.
        native, _ = self.call("GET", f"/v1/assessments/{LESSON_3}", token=token)
        self.assertEqual(native["attempt_count"], 2)
        self.assertTrue(native["passed"])
        # Partial: only the given fields change; null clears notes and metadata.
        record = self.put_lesson(token, {"is_bookmarked": False, "user_notes": None, "metadata": None},
                                 lesson=LESSON_3)
        self.assertFalse(record["is_bookmarked"])
        self.assertIsNone(record["user_notes"])
        self.assertEqual(record["metadata"], {})
        self.assertEqual(record["progress_percentage"], 62.5)
        self.assertEqual(record["quiz_attempts"], 2)
        record = self.put_lesson(token, {"quiz_passed": False, "quiz_attempts": 0}, lesson=LESSON_3)
        self.assertFalse(record["quiz_passed"])

    def test_put_is_authoritative(self):
        _, token = self.user()
        record = self.put_lesson(token, {"status": "completed"})
        self.assertEqual(record["status"], "completed")
        self.assertEqual(record["progress_percentage"], 100)
        self.assertRegex(record["completed_at"], ISO_UTC)
        # May lower progress and un-complete (a ping never could).
        record = self.put_lesson(token, {"progress_percentage": 30})
        self.assertEqual(record["status"], "in_progress")
        self.assertEqual(record["progress_percentage"], 30)
        self.assertIsNone(record["completed_at"])
        record = self.put_lesson(token, {"status": "not_started", "progress_percentage": 0})
        self.assertEqual(record["status"], "not_started")
        self.assertEqual(record["progress_percentage"], 0)
        # 100 % without a status completes.
        record = self.put_lesson(token, {"progress_percentage": 100})
        self.assertEqual(record["status"], "completed")

    def test_ids_are_canonical_uuids(self):
        _, token = self.user()
        upper = COURSE.upper()
        simple = LESSON.replace("-", "")
        record = self.put_lesson(token, {"progress_percentage": 10}, course=upper, lesson=simple)
        self.assertEqual(record["course_id"], COURSE)
        self.assertEqual(record["lesson_id"], LESSON)

    @one_process_only("a restart of the server")
    def test_annotations_survive_restart(self):
        server = ProgressdServer(durability="sync", extra_args=["--catalog", self.catalog])
        try:
            token = server.user_token("restart-user")
            path = f"/api/v1/education/progress/{COURSE}/lessons/{LESSON}"
            status, _, raw, before = server.request(
                "PUT", path, {"user_notes": "n", "is_bookmarked": True, "metadata": {"k": [1, 2]},
                              "quiz_score": 55, "progress_percentage": 20}, token=token)
            self.assertEqual(status, 200, raw)
            server.restart()
            status, _, raw, after = server.request("GET", f"/api/v1/education/progress/{COURSE}", token=token)
            self.assertEqual(status, 200, raw)
            self.assertEqual(after, [before])
        finally:
            server.close()

    # --- errors, in FastAPI's shapes ------------------------------------------------------------

    def test_non_uuid_path_is_422(self):
        _, token = self.user()
        doc, _ = self.call("GET", "/api/v1/education/progress/not-a-uuid", token=token, expect=422)
        entry = self.assert_validation(doc, ["path", "course_id"], "uuid_parsing")
        self.assertEqual(entry["input"], "not-a-uuid")
        self.assertTrue(entry["msg"].startswith("Input should be a valid UUID"), entry)
        self.assertIn("error", entry["ctx"])
        doc, _ = self.call("GET", "/api/v1/education/progress/1234/summary", token=token, expect=422)
        self.assert_validation(doc, ["path", "course_id"], "uuid_parsing")
        doc, _ = self.call("PUT", f"/api/v1/education/progress/{COURSE}/lessons/42", {}, token=token, expect=422)
        self.assert_validation(doc, ["path", "lesson_id"], "uuid_parsing")

    def test_bad_body_is_422(self):
        _, token = self.user()
        doc = self.put_lesson(token, {"status": "done", "progress_percentage": 150, "quiz_attempts": 1.5,
                                      "is_bookmarked": "yes", "metadata": [1], "user_notes": 3,
                                      "video_position_seconds": -1}, expect=422)
        self.assert_validation(doc, ["body", "status"], "enum")
        entry = self.assert_validation(doc, ["body", "progress_percentage"], "less_than_equal")
        self.assertEqual(entry["ctx"], {"le": 100})
        self.assertEqual(entry["input"], 150)
        self.assert_validation(doc, ["body", "quiz_attempts"], "int_from_float")
        self.assert_validation(doc, ["body", "is_bookmarked"], "bool_type")
        self.assert_validation(doc, ["body", "metadata"], "dict_type")
        self.assert_validation(doc, ["body", "user_notes"], "string_type")
        self.assert_validation(doc, ["body", "video_position_seconds"], "greater_than_equal")
        self.assertEqual(len(doc["detail"]), 7)
        doc = self.put_lesson(token, "{not json", expect=422)
        self.assert_validation(doc, ["body", 0], "json_invalid")
        doc = self.put_lesson(token, [1, 2], expect=422)
        self.assert_validation(doc, ["body"], "model_attributes_type")
        doc = self.put_lesson(token, {"user_notes": "x" * 5000}, expect=422)
        self.assert_validation(doc, ["body", "user_notes"], "string_too_long")
        status, _, raw, doc = self.server.request(
            "PUT", f"/api/v1/education/progress/{COURSE}/lessons/{LESSON}", token=token)
        self.assertEqual(status, 422, raw)
        self.assert_validation(doc, ["body"], "missing")
        # Nothing was written by any of them.
        listed, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(listed, [])

    def test_auth_errors(self):
        doc, headers = self.call("GET", f"/api/v1/education/progress/{COURSE}", expect=401)
        self.assertEqual(doc, {"detail": "Not authenticated"})
        self.assertEqual(headers.get("www-authenticate"), "Bearer")
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}/summary", token="bad.token.here",
                           expect=401)
        self.assertEqual(set(doc), {"detail"})
        self.assertIsInstance(doc["detail"], str)
        # A user naming another user: 403.
        _, token = self.user()
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}?user_id=someone-else", token=token,
                           expect=403)
        self.assertEqual(set(doc), {"detail"})

    def test_not_found(self):
        _, token = self.user()
        doc, _ = self.call("GET", f"/api/v1/education/progress/{UNKNOWN_COURSE}", token=token, expect=404)
        self.assertEqual(doc, {"detail": "Course not found"})
        doc, _ = self.call("GET", f"/api/v1/education/progress/{UNKNOWN_COURSE}/summary", token=token, expect=404)
        self.assertEqual(doc, {"detail": "Course not found"})
        self.put_lesson(token, {}, course=UNKNOWN_COURSE, expect=404)
        doc = self.put_lesson(token, {}, lesson=UNKNOWN_COURSE, expect=404)
        self.assertEqual(set(doc), {"detail"})

    def test_method_not_allowed(self):
        # 404 and 405 come from the router, in the native format for every family.
        _, token = self.user()
        status, headers, raw, _ = self.server.request("DELETE", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(status, 405, raw)
        self.assertIn("GET", headers.get("allow", ""))

    def test_service_names_the_user(self):
        user, token = self.user()
        self.put_lesson(token, {"progress_percentage": 12})
        doc, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}?user_id={user}", key=SERVICE_KEY)
        self.assertEqual([r["progress_percentage"] for r in doc], [12])

    # --- cross-family: native writes, Education reads -------------------------------------------

    def test_native_progress_reads_back_with_the_same_meaning(self):
        user, token = self.user()
        ping(self, self.server, {"content_id": LESSON, "position_seconds": 300, "duration_seconds": 600,
                                 "time_spent_delta_seconds": 150, "event": "start"}, token=token)
        ping(self, self.server, {"content_id": LESSON_2, "event": "complete", "time_spent_delta_seconds": 60},
             token=token)
        native, _ = self.call("GET", f"/v1/progress/{LESSON}", token=token)

        listed, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        by_lesson = {r["lesson_id"]: r for r in listed}
        self.assertEqual(set(by_lesson), {LESSON, LESSON_2})
        first = by_lesson[LESSON]
        self.assert_record_shape(first)
        self.assertEqual(first["status"], "in_progress")
        self.assertEqual(first["progress_percentage"], native["progress_percent"])
        self.assertEqual(first["progress_percentage"], 50)
        self.assertEqual(first["video_position_seconds"], 300)
        self.assertEqual(first["time_spent_minutes"], 2)  # 150 s
        self.assertEqual(first["id"], native["record_id"])
        self.assertEqual(by_lesson[LESSON_2]["status"], "completed")
        self.assertRegex(by_lesson[LESSON_2]["completed_at"], ISO_UTC)

        summary, _ = self.call("GET", f"/api/v1/education/progress/{COURSE}/summary", token=token)
        collection, _ = self.call("GET", f"/v1/collections/{COURSE}/progress", token=token)
        self.assertEqual(summary["completion_percentage"], collection["progress_percent"])
        self.assertEqual(summary["completed_lessons"], collection["counts"]["completed"])
        self.assertEqual(summary["in_progress_lessons"], collection["counts"]["in_progress"])
        self.assertEqual(summary["total_lessons"], collection["counts"]["total"])
        self.assertEqual(summary["total_time_spent_minutes"], 3)  # 210 s

        # And the other way: an Education write is what the native API reads.
        self.put_lesson(token, {"progress_percentage": 10})
        native, _ = self.call("GET", f"/v1/progress/{LESSON}", token=token)
        self.assertEqual(native["progress_percent"], 10)
        self.assertEqual(native["status"], 1)


if __name__ == "__main__":
    unittest.main()
