"""Skilljar's lesson_count / completed_lesson_count count the required lessons at every depth
(docs/compat-skilljar.md): a course with a nested unit reads the same counts in its course
progress, its lesson list and the Education API's summary."""

import unittest

from clients import ping
from progressd_fixture import SERVICE_KEY, ServerCase, basic_auth, unique

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
# UUIDs, so the Education API reads the same course.
COURSE = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
UNIT = "6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"
FIRST = "7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f"
IN_UNIT = ["8d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a", "9e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b"]
OPTIONAL = "0f6a7b8c-9d0e-4f1a-9b2c-4d5e6f7a8b9c"
LAST = "1a7b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d"


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Nested", "children": [FIRST, UNIT, LAST]},
        {"id": UNIT, "type": "course-part", "title": "Unit", "children": [*IN_UNIT, OPTIONAL]},
        {"id": FIRST, "type": "video", "title": "First", "duration_seconds": 60},
        {"id": IN_UNIT[0], "type": "video", "title": "Unit one", "duration_seconds": 60},
        {"id": IN_UNIT[1], "type": "video", "title": "Unit two", "duration_seconds": 60},
        {"id": OPTIONAL, "type": "video", "title": "Extra", "duration_seconds": 60, "optional": True},
        {"id": LAST, "type": "video", "title": "Last", "duration_seconds": 60},
    ]


class LessonCountsTest(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def call(self, method, path, body=None):
        return self.server.request(method, path, body=body, headers=BASIC)

    def course_progress(self, user):
        status, _, raw, doc = self.call("GET", f"/v1/users/{user}/published-courses")
        self.assertEqual(status, 200, raw)
        found = [course for course in doc["results"] if course["id"] == COURSE]
        self.assertEqual(len(found), 1, doc)
        return found[0]["course_progress"]

    def test_nested_lessons_count_one_by_one_everywhere(self):
        user = unique("counts")
        token = self.server.user_token(user)
        # One lesson inside the unit completed, one optional lesson completed (never counted).
        for lesson in (IN_UNIT[0], OPTIONAL):
            answer = ping(self, self.server, {"content_id": lesson, "position_seconds": 60, "duration_seconds": 60},
                          token=token)
            self.assertEqual(answer["status"], 2, answer)
        # A Skilljar write that changes no progress enrols the user, so the course is listed.
        status, _, raw, _ = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{FIRST}",
                                      {"lesson_progress": {}})
        self.assertEqual(status, 200, raw)

        progress = self.course_progress(user)
        self.assertEqual((progress["lesson_count"], progress["completed_lesson_count"]), (4, 1))

        status, _, raw, listed = self.call("GET", f"/v1/users/{user}/published-courses/{COURSE}/lessons")
        self.assertEqual(status, 200, raw)
        required = [item for item in listed["results"] if not item["lesson"]["optional"]]
        self.assertEqual(len(required), 4)
        self.assertEqual(sum(1 for item in required if item["lesson_progress"]["completed_at"]), 1)

        status, _, raw, summary = self.server.request("GET", f"/api/v1/education/progress/{COURSE}/summary",
                                                      token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual((summary["total_lessons"], summary["completed_lessons"]), (4, 1))


if __name__ == "__main__":
    unittest.main()
