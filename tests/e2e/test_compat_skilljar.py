"""Skilljar progress subset (seeds/skilljar-api-reference.txt, docs/compat-skilljar.md)
end to end: the document's request examples (ids adapted) sent to a real server with a catalog,
HTTP Basic with the API key, DRF pagination ({count, next, previous, results}), the signed
lesson-progress ids and progress tokens minted by the native endpoint, enrollments idempotent on
(user.id, enrolled_at), DRF error bodies, and Skilljar writes read back through the native API."""

import re
import unittest

from progressd_fixture import CLUSTER_MODE, SERVICE_KEY, ServerCase, basic_auth, one_process_only

COURSE = "cdefghi345678"
LESSONS = ["abcdefg123456", "bcdefga234567", "cdefgab345678"]
BIG_COURSE = "big-course"
ENROLL_COURSE = "enrollment-course"  # only the enrollment test writes to it
BIG_LESSONS = [f"big-lesson-{i:03d}" for i in range(101)]
USER = "abcde12345"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
PAGE_KEYS = {"count", "next", "previous", "results"}
BASIC = {"Authorization": basic_auth(SERVICE_KEY)}


def catalog_entries():
    entries = [
        {"id": COURSE, "type": "course", "title": "Example Title", "children": LESSONS},
        {"id": LESSONS[0], "type": "HTML", "title": "Example Lesson", "duration_seconds": 60},
        {"id": LESSONS[1], "type": "VIDEO", "title": "Second", "duration_seconds": 60},
        {"id": LESSONS[2], "type": "QUIZ", "title": "Quiz", "duration_seconds": 60},
        {"id": BIG_COURSE, "type": "course", "title": "Big", "children": BIG_LESSONS},
        {"id": ENROLL_COURSE, "type": "course", "title": "Enrollments", "children": [LESSONS[0]]},
    ]
    entries += [{"id": lesson, "type": "HTML", "title": lesson} for lesson in BIG_LESSONS]
    return entries


class SkilljarCase(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def call(self, method, path, body=None, headers=None):
        return self.server.request(method, path, body=body, headers={**BASIC, **(headers or {})})

    def mint(self, user, course, lesson):
        status, _, _, body = self.server.request(
            "POST", "/v1/progress-tokens", body={"user_id": user, "course_id": course, "lesson_id": lesson},
            key=SERVICE_KEY)
        self.assertEqual(status, 201, body)
        return body

    def lessons(self, user, course, query=""):
        status, _, _, body = self.call("GET", f"/v1/users/{user}/published-courses/{course}/lessons{query}")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), PAGE_KEYS)
        return body

    # ---- auth and ping ----------------------------------------------------------------------

    def test_ping_with_basic_auth(self):
        status, _, _, body = self.call("GET", "/v1/ping")
        self.assertEqual(status, 200)
        self.assertEqual(body, {})
        # The key as user name with a password (ignored) works too.
        status, _, _, _ = self.server.request("GET", "/v1/ping",
                                              headers={"Authorization": basic_auth(SERVICE_KEY, "x")})
        self.assertEqual(status, 200)

    def test_auth_errors_are_drf_bodies(self):
        status, headers, _, body = self.server.request("GET", "/v1/ping")
        self.assertEqual(status, 401)
        self.assertEqual(body, {"detail": "Authentication credentials were not provided."})
        self.assertIn("Basic", headers["www-authenticate"])
        status, _, _, body = self.server.request("GET", "/v1/ping", headers={"Authorization": basic_auth("wrong")})
        self.assertEqual(status, 401)
        self.assertEqual(body, {"detail": "Invalid username/password."})
        # A user token is not a Skilljar credential.
        status, _, _, body = self.server.request("GET", f"/v1/users/{USER}/published-courses",
                                                 token=self.server.user_token(USER))
        self.assertEqual(status, 403)
        self.assertEqual(body, {"detail": "You do not have permission to perform this action."})

    # ---- lessons and lesson progress ---------------------------------------------------------

    def test_lessons_list_shape(self):
        user = "lessons-shape"
        body = self.lessons(user, COURSE)
        self.assertEqual(body["count"], 3)
        self.assertIsNone(body["next"])
        self.assertIsNone(body["previous"])
        self.assertEqual([r["id"] for r in body["results"]], LESSONS)
        first = body["results"][0]
        self.assertEqual(set(first), {"id", "lesson", "lesson_progress"})
        self.assertEqual(first["lesson"], {"id": LESSONS[0], "title": "Example Lesson", "type": "HTML",
                                           "order": 1, "optional": False})
        self.assertEqual(set(first["lesson_progress"]),
                         {"id", "started_at", "finished_at", "completed_at", "last_accessed_at", "success_status",
                          "score", "max_score", "custom_data"})
        self.assertIsNone(first["lesson_progress"]["completed_at"])

    def test_user_lesson_patch_example(self):
        user = "lesson-patch"
        # The document's example body.
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}",
                                       body={"lesson_progress": {"completed_at": "2015-06-03T01:02:03.012345Z"}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["id"], LESSONS[0])
        self.assertRegex(body["lesson_progress"]["completed_at"], ISO)
        # The native API sees the completion.
        status, _, _, record = self.server.request("GET", f"/v1/progress/{LESSONS[0]}?user_id={user}",
                                                   key=SERVICE_KEY)
        self.assertEqual(status, 200, record)
        self.assertEqual((record["status"], record["completed"]), (2, True))
        # Null un-completes (PUT and PATCH are identical).
        status, _, _, body = self.call("PUT", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}",
                                       body={"lesson_progress": {"completed_at": None}})
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["lesson_progress"]["completed_at"])
        # PUT needs lesson_progress; a bad field is named.
        status, _, _, body = self.call("PUT", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}",
                                       body={})
        self.assertEqual(status, 400)
        self.assertEqual(body, {"lesson_progress": ["This field is required."]})
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{LESSONS[0]}",
                                       body={"lesson_progress": {"completed_at": "tomorrow"}})
        self.assertEqual(status, 400)
        self.assertIn("completed_at", body["lesson_progress"])
        # A lesson outside the course, an unknown course.
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}/lessons/{BIG_LESSONS[0]}",
                                       body={"lesson_progress": {}})
        self.assertEqual((status, body), (404, {"detail": "Not found."}))
        status, _, _, body = self.call("GET", f"/v1/users/{user}/published-courses/nope/lessons")
        self.assertEqual((status, body), (404, {"detail": "Not found."}))

    def test_lesson_progress_by_signed_id(self):
        user = "lesson-progress-id"
        lp_id = self.lessons(user, COURSE)["results"][2]["lesson_progress"]["id"]
        self.assertEqual(lp_id, self.mint(user, COURSE, LESSONS[2])["lesson_progress_id"])
        body = {"finished_at": "2015-06-03T01:02:03.012345Z", "success_status": "PASSED", "score": 8,
                "max_score": 10, "custom_data": "{\"k\": 1}"}
        status, _, _, answer = self.call("PATCH", f"/v1/lesson-progress/{lp_id}", body=body)
        self.assertEqual(status, 200, answer)
        progress = answer["lesson_progress"]
        self.assertRegex(progress["completed_at"], ISO)
        self.assertEqual((progress["success_status"], progress["score"], progress["max_score"]), ("PASSED", 8, 10))
        self.assertEqual(progress["custom_data"], "{\"k\": 1}")
        # Read back through the list.
        listed = self.lessons(user, COURSE)["results"][2]["lesson_progress"]
        self.assertEqual(listed, progress)
        # A tampered or foreign id is not found; a progress token is not a lesson-progress id.
        status, _, _, answer = self.call("PUT", f"/v1/lesson-progress/{lp_id[:-2]}AA", body={})
        self.assertEqual((status, answer), (404, {"detail": "Not found."}))
        token = self.mint(user, COURSE, LESSONS[2])["progress_token_id"]
        status, _, _, _ = self.call("PUT", f"/v1/lesson-progress/{token}", body={})
        self.assertEqual(status, 404)
        status, _, _, answer = self.call("PATCH", f"/v1/lesson-progress/{lp_id}", body={"success_status": "MAYBE"})
        self.assertEqual(status, 400)
        self.assertEqual(answer, {"success_status": ["\"MAYBE\" is not a valid choice."]})

    def test_progress_token_completes_lesson_and_course(self):
        user = "token-user"
        for lesson in LESSONS:
            token = self.mint(user, COURSE, lesson)["progress_token_id"]
            status, _, _, body = self.call("PUT", f"/v1/progresstokens/{token}",
                                           body={"completed_at": "2015-06-03T01:02:03.012345Z",
                                                 "success_status": "PASSED", "score": 1, "max_score": 1})
            self.assertEqual(status, 200, body)
            self.assertRegex(body["lesson_progress"]["completed_at"], ISO)
        status, _, _, body = self.call("GET", f"/v1/users/{user}/published-courses")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), PAGE_KEYS)
        self.assertEqual(body["count"], 1)
        course = body["results"][0]
        self.assertEqual(course["id"], COURSE)
        self.assertEqual(course["course"], {"id": COURSE, "title": "Example Title"})
        self.assertRegex(course["course_progress"]["completed_at"], ISO)
        self.assertEqual(course["course_progress"]["percent_complete"], 100)
        self.assertRegex(course["course_progress"]["enrolled_at"], ISO)
        # The native aggregate agrees.
        status, _, _, aggregate = self.server.request("GET", f"/v1/collections/{COURSE}/progress?user_id={user}",
                                                      key=SERVICE_KEY)
        self.assertEqual(status, 200, aggregate)
        self.assertEqual((aggregate["status"], aggregate["completed"]), (2, True))

    def test_mint_endpoint_errors(self):
        status, _, _, _ = self.server.request("POST", "/v1/progress-tokens",
                                              body={"user_id": USER, "course_id": COURSE, "lesson_id": "nope"},
                                              key=SERVICE_KEY)
        self.assertEqual(status, 404)
        status, _, _, _ = self.server.request("POST", "/v1/progress-tokens", body={"user_id": USER},
                                              key=SERVICE_KEY)
        self.assertEqual(status, 422)
        status, _, _, _ = self.server.request("POST", "/v1/progress-tokens",
                                              body={"user_id": USER, "course_id": COURSE, "lesson_id": LESSONS[0]},
                                              token=self.server.user_token(USER))
        self.assertEqual(status, 403)

    # ---- courses -----------------------------------------------------------------------------

    def test_course_update_example(self):
        user = "course-update"
        # The document's example body.
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}",
                                       body={"course_progress": {"completed_at": "2015-06-03T01:02:03.012345Z",
                                                                 "success_status": "PASSED"}})
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"id", "course", "course_progress"})
        self.assertEqual(set(body["course_progress"]),
                         {"enrolled_at", "completed_at", "last_accessed_at", "success_status", "percent_complete",
                          "lesson_count", "completed_lesson_count"})
        self.assertRegex(body["course_progress"]["completed_at"], ISO)
        self.assertEqual(body["course_progress"]["success_status"], "PASSED")
        self.assertEqual(body["course_progress"]["completed_lesson_count"], 3)
        results = self.lessons(user, COURSE)["results"]
        self.assertTrue(all(r["lesson_progress"]["completed_at"] for r in results))
        status, _, _, body = self.call("PUT", f"/v1/users/{user}/published-courses/{COURSE}",
                                       body={"course_progress": {"completed_at": None}})
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["course_progress"]["completed_at"])
        status, _, _, body = self.call("PUT", f"/v1/users/{user}/published-courses/{COURSE}", body={})
        self.assertEqual((status, body), (400, {"course_progress": ["This field is required."]}))
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/nope",
                                       body={"course_progress": {}})
        self.assertEqual((status, body), (404, {"detail": "Not found."}))
        status, _, _, body = self.call("PATCH", f"/v1/users/{user}/published-courses/{COURSE}", body="{bad")
        self.assertEqual(status, 400)
        self.assertTrue(body["detail"].startswith("JSON parse error"))

    def test_lessons_paginate_by_100(self):
        user = "pager"
        first = self.lessons(user, BIG_COURSE)
        self.assertEqual(first["count"], 101)
        self.assertEqual(len(first["results"]), 100)
        self.assertIsNone(first["previous"])
        self.assertTrue(first["next"].endswith(f"/v1/users/{user}/published-courses/{BIG_COURSE}/lessons?page=2"),
                        first["next"])
        second = self.lessons(user, BIG_COURSE, "?page=2")
        self.assertEqual([r["id"] for r in second["results"]], [BIG_LESSONS[100]])
        self.assertEqual(second["results"][0]["lesson"]["order"], 101)
        self.assertIsNone(second["next"])
        self.assertTrue(second["previous"].endswith(f"/published-courses/{BIG_COURSE}/lessons"), second["previous"])
        for bad in ("?page=3", "?page=0", "?page=x"):
            status, _, _, body = self.call("GET", f"/v1/users/{user}/published-courses/{BIG_COURSE}/lessons{bad}")
            self.assertEqual((status, body), (404, {"detail": "Invalid page."}))

    # ---- enrollments -------------------------------------------------------------------------

    def test_enrollments_idempotent_on_user_and_enrolled_at(self):
        path = f"/v1/domains/learn.example.com/published-courses/{ENROLL_COURSE}/enrollments"
        # The document's example body (trailing comma of the example removed).
        example = {"user": {"id": USER}, "enrolled_at": "2018-03-12T10:12:45Z", "expires_at": "2018-05-12T10:12:45Z",
                   "active": True,
                   "purchase": {"purchase_state": "SUCCESS", "purchase_price": {"amount": "5.00", "currency_code": "USD"},
                                "purchased_at": "2018-02-12T10:12:45Z", "tax_price_cents": 100}}
        status, _, _, created = self.call("POST", path, body=example)
        self.assertEqual(status, 201, created)
        self.assertEqual(set(created), {"id", "user", "enrolled_at", "expires_at", "active"})
        self.assertEqual(created["user"]["id"], USER)
        self.assertEqual(set(created["user"]), {"id", "email", "first_name", "last_name"})
        self.assertEqual(created["enrolled_at"], "2018-03-12T10:12:45.000000Z")
        self.assertEqual(created["expires_at"], "2018-05-12T10:12:45.000000Z")
        # Same (user.id, enrolled_at): the same enrollment, nothing new.
        status, _, _, again = self.call("POST", path, body=example)
        self.assertEqual(status, 200, again)
        self.assertEqual(again["id"], created["id"])
        # Another enrolled_at: a second enrollment.
        status, _, _, other = self.call("POST", path, body={**example, "enrolled_at": "2019-01-01T00:00:00Z"})
        self.assertEqual(status, 201, other)
        self.assertNotEqual(other["id"], created["id"])
        status, _, _, again = self.call("POST", path, body={**example, "enrolled_at": "2019-01-01T00:00:00Z"})
        self.assertEqual((status, again["id"]), (200, other["id"]))

        status, _, _, listing = self.call("GET", path + "?page_size=1")
        if CLUSTER_MODE:
            # The list spans every user, and a cluster node holds its own only: it says so rather
            # than answer part of the list (docs/decisions.md, "Cluster mode").
            self.assertEqual(status, 501, listing)
            self.assertIn("PostgreSQL", listing["detail"])
        else:
            self.assertEqual(status, 200, listing)
            self.assertEqual(set(listing), PAGE_KEYS)
            self.assertEqual(listing["count"], 2)
            self.assertIn("page=2", listing["next"])
            self.assertIn("page_size=1", listing["next"])
            status, _, _, page2 = self.call("GET", path + "?page_size=1&page=2")
            self.assertEqual(status, 200)
            self.assertEqual({listing["results"][0]["id"], page2["results"][0]["id"]}, {created["id"], other["id"]})

        # Read, update (PUT and PATCH alike: partial).
        status, _, _, read = self.call("GET", f"{path}/{created['id']}")
        self.assertEqual((status, read), (200, created))
        status, _, _, updated = self.call("PATCH", f"{path}/{created['id']}", body={"active": False, "expires_at": None})
        self.assertEqual(status, 200, updated)
        self.assertEqual((updated["active"], updated["expires_at"]), (False, None))
        self.assertEqual(updated["enrolled_at"], created["enrolled_at"])
        status, _, _, body = self.call("PUT", f"{path}/{created['id']}", body={"active": "yes"})
        self.assertEqual((status, body), (400, {"active": ["Must be a valid boolean."]}))
        status, _, _, body = self.call("GET", f"{path}/bm9wZQ")
        self.assertEqual((status, body), (404, {"detail": "Not found."}))

        # The user's published courses list the course.
        status, _, _, courses = self.call("GET", f"/v1/users/{USER}/published-courses")
        self.assertEqual(status, 200)
        self.assertEqual([c["id"] for c in courses["results"]], [ENROLL_COURSE])
        self.assertEqual(courses["results"][0]["course_progress"]["enrolled_at"], "2018-03-12T10:12:45.000000Z")

    def test_enrollment_errors(self):
        path = f"/v1/domains/d/published-courses/{COURSE}/enrollments"
        status, _, _, body = self.call("POST", path, body={"enrolled_at": "2018-03-12T10:12:45Z"})
        self.assertEqual((status, body), (400, {"user": ["This field is required."]}))
        status, _, _, body = self.call("POST", path, body={"user": {}})
        self.assertEqual((status, body), (400, {"user": {"id": ["This field is required."]}}))
        status, _, _, body = self.call("POST", "/v1/domains/d/published-courses/nope/enrollments",
                                       body={"user": {"id": USER}})
        self.assertEqual((status, body), (404, {"detail": "Not found."}))

    # ---- durability --------------------------------------------------------------------------

    @one_process_only("a restart of the server")
    def test_writes_and_ids_survive_restart(self):
        user = "restart-user"
        minted = self.mint(user, COURSE, LESSONS[1])
        status, _, _, body = self.call("PATCH", f"/v1/progresstokens/{minted['progress_token_id']}",
                                       body={"completed_at": "2015-06-03T01:02:03Z", "score": 3, "max_score": 4})
        self.assertEqual(status, 200, body)
        self.server.restart()
        # The key is derived from the data dir's secret: ids minted before still verify.
        status, _, _, body = self.call("PATCH", f"/v1/lesson-progress/{minted['lesson_progress_id']}", body={})
        self.assertEqual(status, 200, body)
        self.assertRegex(body["lesson_progress"]["completed_at"], ISO)
        self.assertEqual((body["lesson_progress"]["score"], body["lesson_progress"]["max_score"]), (3, 4))
        status, _, _, courses = self.call("GET", f"/v1/users/{user}/published-courses")
        self.assertEqual([c["id"] for c in courses["results"]], [COURSE])


if __name__ == "__main__":
    unittest.main()
