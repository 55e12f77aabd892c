"""Three smaller rules end to end: a catalog duration of 0 weighs the duration the record reported
(docs/data-model.md, "Collections"); a Skilljar lesson write refuses a score above max_score and a
max_score of 0 in Skilljar's format, changing nothing (docs/compat-skilljar.md); a ping's `ts: 0`
is a timestamp, so the next ping's ts measures the playback from it (docs/data-model.md, rule 6)."""

import unittest

from clients import PingClient
from progressd_fixture import SERVICE_KEY, ServerCase, basic_auth, unique

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
COURSE = "small-course"
ZERO = "small-zero-duration"
KNOWN = "small-known-duration"
SJ_COURSE = "small-sj-course"
QUIZ = "small-sj-quiz"


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Durations", "children": [ZERO, KNOWN]},
        {"id": ZERO, "type": "video", "title": "Zero in the catalog", "duration_seconds": 0},
        {"id": KNOWN, "type": "video", "title": "Known", "duration_seconds": 300},
        {"id": SJ_COURSE, "type": "course", "title": "Quizzes", "children": [QUIZ]},
        {"id": QUIZ, "type": "QUIZ", "title": "Quiz", "duration_seconds": 60},
    ]


class SmallFixesTest(PingClient, ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def call(self, method, path, body=None):
        return self.server.request(method, path, body=body, headers=BASIC)

    def record(self, user, content):
        status, _, raw, doc = self.server.request("GET", f"/v1/progress/{content}?user_id={user}", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        return doc

    def test_a_catalog_duration_of_0_weighs_the_reported_one(self):
        user = unique("zero-duration")
        token = self.server.user_token(user)
        # The whole of a 100-second video (by its own report), nothing of the 300-second one.
        self.ping(token, {"content_id": ZERO, "position_seconds": 100, "duration_seconds": 100})
        status, _, raw, doc = self.server.request("GET", f"/v1/collections/{COURSE}/progress", token=token)
        self.assertEqual(status, 200, raw)
        child = [c for c in doc["children"] if c["content_id"] == ZERO][0]
        self.assertEqual(child["duration_seconds"], 100)
        # 100 % of 100 s among 400 s: 25 % (count-weighted it would be 50 %).
        self.assertAlmostEqual(doc["progress_percent"], 25, places=2)

    def test_skilljar_refuses_a_score_above_max_score_and_a_max_score_of_0(self):
        user = unique("sj-scores")
        path = f"/v1/users/{user}/published-courses/{SJ_COURSE}/lessons/{QUIZ}"
        status, _, raw, body = self.call("PATCH", path, {"lesson_progress": {"score": 3, "max_score": 4}})
        self.assertEqual(status, 200, raw)
        cases = [
            ({"score": 5, "max_score": 4}, {"score": ["Ensure this value is less than or equal to max_score."]}),
            ({"score": 5}, {"score": ["Ensure this value is less than or equal to max_score."]}),  # over the kept 4
            ({"max_score": 2}, {"score": ["Ensure this value is less than or equal to max_score."]}),  # under the kept 3
            ({"max_score": 0}, {"max_score": ["Ensure this value is greater than or equal to 1."]}),
            ({"score": 0, "max_score": 0, "completed_at": "2026-01-02T03:04:05Z"},
             {"max_score": ["Ensure this value is greater than or equal to 1."]}),
        ]
        for fields, errors in cases:
            with self.subTest(fields=fields):
                status, _, raw, body = self.call("PATCH", path, {"lesson_progress": fields})
                self.assertEqual(status, 400, raw)
                self.assertEqual(body, {"lesson_progress": errors})
        # Nothing changed: the quiz and the lesson are as the first write left them.
        status, _, raw, listed = self.call("GET", f"/v1/users/{user}/published-courses/{SJ_COURSE}/lessons")
        self.assertEqual(status, 200, raw)
        progress = listed["results"][0]["lesson_progress"]
        self.assertEqual((progress["score"], progress["max_score"]), (3, 4))
        self.assertIsNone(progress["completed_at"])

        # A score without any max score yet is refused too, through a lesson-progress id (top-level fields).
        other = unique("sj-scores")
        status, _, raw, minted = self.server.request(
            "POST", "/v1/progress-tokens", body={"user_id": other, "course_id": SJ_COURSE, "lesson_id": QUIZ},
            key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        status, _, raw, body = self.call("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}", {"score": 1})
        self.assertEqual(status, 400, raw)
        self.assertEqual(body, {"max_score": ["This field is required with score."]})
        status, _, raw, body = self.call("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}",
                                         {"score": 1, "max_score": 1})
        self.assertEqual(status, 200, raw)

    def test_ts_0_is_a_timestamp_for_coverage(self):
        user = unique("ts-zero")
        token = self.server.user_token(user)
        content = unique("ts-zero-video")
        base = {"content_id": content, "duration_seconds": 600, "session_id": "s1"}
        self.ping(token, {**base, "position_seconds": 0, "ts": 0, "seq": 1})
        # 30 s later by the client's clock, 30 s further: played, though it arrives at once.
        self.ping(token, {**base, "position_seconds": 30, "ts": 30000, "seq": 2})
        self.assertEqual(self.record(user, content)["watched_percent"], 5)
        # The same with a ts other than 0 at the start, for comparison.
        other = unique("ts-later-video")
        base = {"content_id": other, "duration_seconds": 600, "session_id": "s1"}
        self.ping(token, {**base, "position_seconds": 0, "ts": 1, "seq": 1})
        self.ping(token, {**base, "position_seconds": 30, "ts": 30001, "seq": 2})
        self.assertEqual(self.record(user, other)["watched_percent"], 5)


if __name__ == "__main__":
    unittest.main()
