"""Skilljar completion times end to end (seeds/skilljar-api-reference.txt, docs/compat-skilljar.md):
the completed_at/finished_at a service sends is when the user completed the lesson, so it is kept
as the record's completion time and read back at millisecond precision, through a user's lesson,
a lesson-progress id, a progress token and a course's progress (each lesson it completes). A time
more than five minutes ahead of the server's clock is refused (400 {"detail"}) with nothing
changed; null still un-completes; a user's own token is refused as for every Skilljar endpoint."""

import datetime
import unittest

from progressd_fixture import SERVICE_KEY, ServerCase, basic_auth, unique

COURSE = "times-course"
LESSONS = ["times-lesson-1", "times-lesson-2", "times-lesson-3"]
BASIC = {"Authorization": basic_auth(SERVICE_KEY)}

# Sent with microseconds and offsets as clients do; read back in UTC, microseconds below the
# millisecond dropped (progressd keeps milliseconds).
SENT = "2021-03-04T05:06:07.891234Z"
READ = "2021-03-04T05:06:07.891000Z"
SENT_MS = 1614834367891
SENT_OFFSET = "2020-12-31T23:30:00.250+02:00"
READ_OFFSET = "2020-12-31T21:30:00.250000Z"


def catalog_entries():
    return [
        {"id": COURSE, "type": "course", "title": "Times", "children": LESSONS},
        *({"id": lesson, "type": "HTML", "title": lesson} for lesson in LESSONS),
    ]


def iso_in(seconds):
    """The server's format for now + seconds (both run on this machine's clock)."""
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}000Z"


class CompletionTimesCase(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def call(self, method, path, body=None, expect=200):
        status, _, raw, doc = self.server.request(method, path, body=body, headers=BASIC)
        self.assertEqual(status, expect, raw[:600])
        return doc

    def lesson_path(self, user, lesson):
        return f"/v1/users/{user}/published-courses/{COURSE}/lessons/{lesson}"

    def mint(self, user, lesson):
        status, _, raw, doc = self.server.request(
            "POST", "/v1/progress-tokens", body={"user_id": user, "course_id": COURSE, "lesson_id": lesson},
            key=SERVICE_KEY)
        self.assertEqual(status, 201, raw)
        return doc

    def listed(self, user):
        """lesson id -> lesson_progress, as the lessons list reads it back."""
        doc = self.call("GET", f"/v1/users/{user}/published-courses/{COURSE}/lessons")
        return {row["id"]: row["lesson_progress"] for row in doc["results"]}

    def native(self, user, lesson):
        status, _, _, doc = self.server.request("GET", f"/v1/progress/{lesson}?user_id={user}", key=SERVICE_KEY)
        return status, doc

    def courses(self, user):
        return self.call("GET", f"/v1/users/{user}/published-courses")["count"]

    # ---- kept and read back -----------------------------------------------------------------

    def test_user_lesson_keeps_the_completion_time(self):
        user = unique("lesson")
        doc = self.call("PATCH", self.lesson_path(user, LESSONS[0]), {"lesson_progress": {"completed_at": SENT}})
        progress = doc["lesson_progress"]
        self.assertEqual((progress["completed_at"], progress["finished_at"]), (READ, READ))
        # Never started after it was completed.
        self.assertEqual(progress["started_at"], READ)
        self.assertEqual(self.listed(user)[LESSONS[0]]["completed_at"], READ)
        # The record itself holds it: the native API reads the same millisecond.
        status, record = self.native(user, LESSONS[0])
        self.assertEqual(status, 200, record)
        self.assertEqual((record["status"], record["completed_at"]), (2, SENT_MS))

        # An offset is converted; finished_at alone completes at its time.
        doc = self.call("PUT", self.lesson_path(user, LESSONS[1]), {"lesson_progress": {"completed_at": SENT_OFFSET}})
        self.assertEqual(doc["lesson_progress"]["completed_at"], READ_OFFSET)
        doc = self.call("PUT", self.lesson_path(user, LESSONS[2]), {"lesson_progress": {"finished_at": SENT}})
        self.assertEqual(doc["lesson_progress"]["completed_at"], READ)

    def test_lesson_progress_id_and_progress_token_keep_it(self):
        user = unique("token")
        minted = self.mint(user, LESSONS[0])
        doc = self.call("PUT", f"/v1/progresstokens/{minted['progress_token_id']}", {"completed_at": SENT})
        self.assertEqual(doc["lesson_progress"]["completed_at"], READ)
        self.assertEqual(self.listed(user)[LESSONS[0]]["completed_at"], READ)

        # A later statement of the time corrects it, through the lesson-progress id.
        doc = self.call("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}", {"completed_at": SENT_OFFSET})
        self.assertEqual(doc["lesson_progress"]["completed_at"], READ_OFFSET)
        self.assertEqual(self.listed(user)[LESSONS[0]]["completed_at"], READ_OFFSET)

        # Writes that do not complete leave it alone.
        doc = self.call("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}", {"score": 3, "max_score": 4})
        self.assertEqual(doc["lesson_progress"]["completed_at"], READ_OFFSET)

    def test_course_completion_uses_the_time_for_each_lesson(self):
        user = unique("course")
        # One lesson completed earlier keeps its own time; the others take the course's.
        self.call("PATCH", self.lesson_path(user, LESSONS[0]), {"lesson_progress": {"completed_at": SENT_OFFSET}})
        doc = self.call("PUT", f"/v1/users/{user}/published-courses/{COURSE}",
                        {"course_progress": {"completed_at": SENT, "success_status": "PASSED"}})
        self.assertEqual(doc["course_progress"]["completed_at"], READ)
        self.assertEqual(doc["course_progress"]["completed_lesson_count"], 3)
        listed = self.listed(user)
        self.assertEqual([listed[lesson]["completed_at"] for lesson in LESSONS], [READ_OFFSET, READ, READ])
        listing = self.call("GET", f"/v1/users/{user}/published-courses")
        self.assertEqual(listing["results"][0]["course_progress"]["completed_at"], READ)

        # null un-completes every lesson, as before; completing again takes the new time.
        doc = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}", {"course_progress": {"completed_at": None}})
        self.assertIsNone(doc["course_progress"]["completed_at"])
        self.assertEqual({p["completed_at"] for p in self.listed(user).values()}, {None})
        status, record = self.native(user, LESSONS[1])
        self.assertEqual((status, record["status"], record["completed_at"]), (200, 1, None))
        doc = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}",
                        {"course_progress": {"completed_at": SENT_OFFSET}})
        self.assertEqual(doc["course_progress"]["completed_at"], READ_OFFSET)
        self.assertEqual({p["completed_at"] for p in self.listed(user).values()}, {READ_OFFSET})

    def test_null_uncompletes_a_lesson_as_before(self):
        user = unique("uncomplete")
        self.call("PATCH", self.lesson_path(user, LESSONS[0]), {"lesson_progress": {"completed_at": SENT}})
        doc = self.call("PATCH", self.lesson_path(user, LESSONS[0]), {"lesson_progress": {"completed_at": None}})
        self.assertEqual((doc["lesson_progress"]["completed_at"], doc["lesson_progress"]["finished_at"]), (None, None))
        status, record = self.native(user, LESSONS[0])
        self.assertEqual((status, record["status"], record["completed_at"]), (200, 1, None))

    def test_a_time_just_ahead_of_the_clock_is_kept(self):
        user = unique("near")
        soon = iso_in(60)  # within the five minutes a client's clock may lead
        doc = self.call("PATCH", self.lesson_path(user, LESSONS[0]), {"lesson_progress": {"completed_at": soon}})
        self.assertEqual(doc["lesson_progress"]["completed_at"], soon)

    # ---- refused ----------------------------------------------------------------------------

    def assert_refused(self, method, path, body):
        status, _, raw, doc = self.server.request(method, path, body=body, headers=BASIC)
        self.assertEqual(status, 400, raw[:600])
        self.assertEqual(set(doc), {"detail"}, doc)
        self.assertIn("in the future", doc["detail"])
        return doc["detail"]

    def test_a_future_time_is_refused_with_nothing_changed(self):
        user = unique("future")
        future = iso_in(3600)
        minted = self.mint(user, LESSONS[1])
        detail = self.assert_refused("PATCH", self.lesson_path(user, LESSONS[0]),
                                     {"lesson_progress": {"completed_at": future}})
        self.assertTrue(detail.startswith("completed_at "), detail)
        detail = self.assert_refused("PUT", self.lesson_path(user, LESSONS[0]),
                                     {"lesson_progress": {"finished_at": future}})
        self.assertTrue(detail.startswith("finished_at "), detail)
        self.assert_refused("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}",
                            {"completed_at": future, "score": 5, "custom_data": "x"})
        self.assert_refused("PUT", f"/v1/progresstokens/{minted['progress_token_id']}",
                            {"completed_at": future, "success_status": "PASSED"})
        self.assert_refused("PUT", f"/v1/users/{user}/published-courses/{COURSE}",
                            {"course_progress": {"completed_at": future, "success_status": "PASSED"}})
        # Nothing was written: no record, no quiz, not even the implicit enrolment.
        for lesson in LESSONS:
            self.assertEqual(self.native(user, lesson)[0], 404)
        self.assertEqual(self.courses(user), 0)
        listed = self.listed(user)
        self.assertEqual({p["completed_at"] for p in listed.values()}, {None})
        self.assertEqual({p["score"] for p in listed.values()}, {None})
        self.assertEqual({p["custom_data"] for p in listed.values()}, {None})

        # A completed lesson keeps its time when a correction is refused.
        self.call("PATCH", self.lesson_path(user, LESSONS[2]), {"lesson_progress": {"completed_at": SENT}})
        self.assert_refused("PATCH", self.lesson_path(user, LESSONS[2]), {"lesson_progress": {"completed_at": future}})
        self.assertEqual(self.listed(user)[LESSONS[2]]["completed_at"], READ)

    # ---- principals -------------------------------------------------------------------------

    def test_a_user_token_is_refused_as_for_every_skilljar_endpoint(self):
        # The Skilljar API is for services (docs/compat-skilljar.md): a user's own token cannot
        # state a completion time, or complete at all, through it.
        user = unique("self")
        token = self.server.user_token(user)
        status, _, raw, doc = self.server.request("PATCH", self.lesson_path(user, LESSONS[0]),
                                                  body={"lesson_progress": {"completed_at": SENT}}, token=token)
        self.assertEqual(status, 403, raw)
        self.assertEqual(doc, {"detail": "You do not have permission to perform this action."})
        self.assertEqual(self.native(user, LESSONS[0])[0], 404)


if __name__ == "__main__":
    unittest.main()
