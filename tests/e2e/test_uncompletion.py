"""Un-completion sticks (docs/data-model.md, "Authoritative writes"): after Skilljar's
`completed_at: null` (lesson and course) or the Education API's `status: in_progress`, the next
ping at an earlier position leaves the lesson in progress, makes no second LESSON_COMPLETION
event, and the course's percent agrees with its counts. A real completion afterwards completes
again."""

import time
import unittest

from clients import ping
from progressd_fixture import SERVICE_KEY, ServerCase, basic_auth, unique
from test_webhooks import Receiver

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
COURSE = "unc-course"
LESSONS = ["unc-lesson-1", "unc-lesson-2"]
EDU_COURSE = "0b6f3c1e-2a4d-4c5b-9e8f-7a6b5c4d3e2f"
EDU_LESSONS = ["1c7e4d2f-3b5e-4d6c-8f9a-8b7c6d5e4f3a", "2d8f5e3a-4c6f-4e7d-9a0b-9c8d7e6f5a4b"]


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Un-completion", "children": LESSONS},
        {"id": LESSONS[0], "type": "video", "title": "One", "duration_seconds": 60},
        {"id": LESSONS[1], "type": "video", "title": "Two", "duration_seconds": 60},
        {"id": EDU_COURSE, "type": "course", "title": "Education", "children": EDU_LESSONS},
        {"id": EDU_LESSONS[0], "type": "video", "title": "Edu one", "duration_seconds": 60},
        {"id": EDU_LESSONS[1], "type": "video", "title": "Edu two", "duration_seconds": 60},
    ]


class UncompletionTest(ServerCase):
    server_args = ["--webhook-retry-ms", "100", "--flush-interval-ms", "50"]
    make_catalog = staticmethod(catalog_entries)

    def setUp(self):
        self.receiver = Receiver()
        status, _, raw, hook = self.call("POST", "/v1/webhooks",
                                         {"target_url": self.receiver.url, "event_type": "LESSON_COMPLETION"})
        self.assertEqual(status, 201, raw)
        self.hook = hook["id"]

    def tearDown(self):
        self.call("DELETE", f"/v1/webhooks/{self.hook}")
        self.receiver.close()

    def call(self, method, path, body=None):
        return self.server.request(method, path, body=body, headers=BASIC)

    def lesson_path(self, user, lesson):
        return f"/v1/users/{user}/published-courses/{COURSE}/lessons/{lesson}"

    def completions(self, user, expected):
        """The user's LESSON_COMPLETION lessons, once `expected` of them arrived and nothing more
        came in a while after."""
        deadline = time.time() + 10
        while time.time() < deadline and len(self.lessons_completed(user)) < expected:
            time.sleep(0.05)
        time.sleep(0.5)  # let a duplicate arrive before counting
        return self.lessons_completed(user)

    def lessons_completed(self, user):
        return sorted(d["payload"]["lesson"]["id"] for d in self.receiver.events("LESSON_COMPLETION")
                      if d["payload"]["user"]["id"] == user)

    def record(self, user, lesson):
        status, _, raw, doc = self.server.request("GET", f"/v1/progress/{lesson}?user_id={user}", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        return doc

    def course(self, user):
        status, _, raw, doc = self.call("GET", f"/v1/users/{user}/published-courses")
        self.assertEqual(status, 200, raw)
        found = [course for course in doc["results"] if course["id"] == COURSE]
        self.assertEqual(len(found), 1, doc)
        return found[0]["course_progress"]

    def test_skilljar_lesson_null_sticks_until_a_real_completion(self):
        user = unique("unc-lesson")
        token = self.server.user_token(user)
        ping(self, self.server, {"content_id": LESSONS[0], "position_seconds": 30, "duration_seconds": 60},
             token=token)
        status, _, raw, _ = self.call("PATCH", self.lesson_path(user, LESSONS[0]),
                                      {"lesson_progress": {"completed_at": "2026-01-02T03:04:05Z"}})
        self.assertEqual(status, 200, raw)
        self.assertEqual(self.completions(user, 1), [LESSONS[0]])

        status, _, raw, body = self.call("PATCH", self.lesson_path(user, LESSONS[0]),
                                         {"lesson_progress": {"completed_at": None}})
        self.assertEqual(status, 200, raw)
        self.assertIsNone(body["lesson_progress"]["completed_at"])
        record = self.record(user, LESSONS[0])
        self.assertEqual((record["status"], record["completed"]), (1, False))
        self.assertEqual(record["progress_percent"], 50)  # the position's percent: 30 of 60 s

        # A ping at an earlier position does not complete it again.
        answer = ping(self, self.server, {"content_id": LESSONS[0], "position_seconds": 10}, token=token)
        self.assertEqual(answer["status"], 1, answer)
        record = self.record(user, LESSONS[0])
        self.assertEqual((record["status"], record["completed_at"]), (1, None))
        course = self.course(user)
        self.assertEqual((course["completed_lesson_count"], course["lesson_count"]), (0, 2))
        self.assertEqual(course["percent_complete"], 25)
        self.assertIsNone(course["completed_at"])
        self.assertEqual(self.completions(user, 1), [LESSONS[0]])  # no second event

        # A real completion completes it again, with a new event.
        answer = ping(self, self.server, {"content_id": LESSONS[0], "position_seconds": 60}, token=token)
        self.assertEqual(answer["status"], 2, answer)
        self.assertEqual(self.completions(user, 2), [LESSONS[0], LESSONS[0]])

    def test_skilljar_course_null_sticks_for_every_lesson(self):
        user = unique("unc-course")
        token = self.server.user_token(user)
        # The second lesson is completed by playing it to the end: its resume point is the end.
        ping(self, self.server, {"content_id": LESSONS[1], "position_seconds": 60, "duration_seconds": 60},
             token=token)
        status, _, raw, _ = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}",
                                      {"course_progress": {"completed_at": "2026-01-02T03:04:05Z"}})
        self.assertEqual(status, 200, raw)
        self.assertEqual(self.completions(user, 2), sorted(LESSONS))
        self.assertEqual(self.course(user)["percent_complete"], 100)

        status, _, raw, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}",
                                         {"course_progress": {"completed_at": None}})
        self.assertEqual(status, 200, raw)
        progress = body["course_progress"]
        self.assertEqual((progress["completed_lesson_count"], progress["lesson_count"]), (0, 2))
        self.assertLess(progress["percent_complete"], 100)

        for lesson in LESSONS:
            answer = ping(self, self.server, {"content_id": lesson, "position_seconds": 5}, token=token)
            self.assertEqual(answer["status"], 1, answer)
        # The lesson whose resume point is at the end reads below the threshold (95 by default).
        self.assertEqual(self.record(user, LESSONS[1])["progress_percent"], 94)
        course = self.course(user)
        self.assertEqual(course["completed_lesson_count"], 0)
        self.assertLess(course["percent_complete"], 100)
        self.assertIsNone(course["completed_at"])
        self.assertEqual(self.completions(user, 2), sorted(LESSONS))  # no second events

    def test_education_in_progress_sticks(self):
        user = unique("unc-edu")
        token = self.server.user_token(user)
        path = f"/api/v1/education/progress/{EDU_COURSE}/lessons/{EDU_LESSONS[0]}"
        answer = ping(self, self.server, {"content_id": EDU_LESSONS[0], "position_seconds": 60,
                                          "duration_seconds": 60}, token=token)
        self.assertEqual(answer["status"], 2, answer)
        self.assertEqual(self.completions(user, 1), [EDU_LESSONS[0]])

        status, _, raw, doc = self.server.request("PUT", path, {"status": "in_progress"}, token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(doc["status"], "in_progress")
        self.assertIsNone(doc["completed_at"])
        self.assertLess(doc["progress_percentage"], 95)

        answer = ping(self, self.server, {"content_id": EDU_LESSONS[0], "position_seconds": 20}, token=token)
        self.assertEqual(answer["status"], 1, answer)
        status, _, raw, summary = self.server.request("GET", f"/api/v1/education/progress/{EDU_COURSE}/summary",
                                                      token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual((summary["completed_lessons"], summary["in_progress_lessons"]), (0, 1))
        self.assertLess(summary["completion_percentage"], 100)
        self.assertEqual(self.completions(user, 1), [EDU_LESSONS[0]])  # no second event


if __name__ == "__main__":
    unittest.main()
