"""Sunbird Viewer Service (seeds/sunbird-viewer-service-spec.txt, the later version;
docs/compat-sunbird.md) end to end: each request example of the document sent to a real server
with a catalog (ids adapted only where the Education API needs UUIDs), the envelope, field names
and values, the error examples, and progress written through Sunbird read back through the native
API and the Education API."""

import csv
import io
import unittest
import uuid
from urllib.parse import urlparse

from progressd_fixture import SERVICE_KEY, ServerCase

MSGID = "5e763bc2-b072-440d-916e-da787881b1b9"
SUMMARY_MSGID = "95e4942d-cbe8-477d-aebd-ad8e6de4bfc8"
TS = "2021-06-23 05:37:40:575+0000"
ENVELOPE_FIELDS = {"id", "ver", "ts", "params", "responseCode", "result"}
PARAMS_FIELDS = {"resmsgid", "msgid", "err", "status", "errmsg"}
SUMMARY_FIELDS = {
    "userId", "collectionId", "contextId", "enrolledDate", "active", "contentStatus", "assessmentStatus",
    "collection", "issuedCertificates", "completedOn", "progress", "status",
}
COLLECTION_FIELDS = {"identifier", "name", "logo", "leafNodesCount", "description"}

# The Education API names courses and lessons by UUID (docs/compat-education.md).
COURSE = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
LESSON = "2585ba54-c32a-4ece-8fca-c6fa0530db0e"


def catalog_entries():
    return [
        {"id": "collection_123", "type": "course", "title": "Mathematics",
         "children": ["content_123", "content_456", "content_789", "quiz_1"],
         "attributes": {"logo": "http://logoimage", "description": "Dummy Collection"}},
        {"id": "content_123", "type": "pdf", "title": "Numbers"},
        {"id": "content_456", "type": "video", "title": "Fractions", "duration_seconds": 600},
        {"id": "content_789", "type": "pdf", "title": "Decimals"},
        {"id": "quiz_1", "type": "quiz", "title": "Quiz", "attributes": {"pass_percent": 60}},
        {"id": COURSE, "type": "course", "title": "Rust basics", "children": [LESSON]},
        {"id": LESSON, "type": "pdf", "title": "Welcome"},
    ]


def envelope(api_id, request, msgid=MSGID):
    return {"id": api_id, "ver": "v1", "ts": TS, "params": {"msgid": msgid}, "request": request}


class SunbirdCase(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def user(self):
        name = "user_" + uuid.uuid4().hex[:10]
        return name, self.server.user_token(name)

    def send(self, method, path, body, token, expect=200):
        """Sends as Sunbird clients do: the user's token in x-authenticated-user-token."""
        headers = {"x-authenticated-user-token": token} if token else None
        status, headers, raw, doc = self.server.request(method, path, body, headers=headers)
        self.assertEqual(status, expect, raw[:800])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        return doc

    def ok(self, method, path, body, token, api_id, msgid=MSGID):
        doc = self.send(method, path, body, token)
        self.assert_envelope(doc, api_id, msgid)
        self.assertEqual(doc["params"]["status"], "success")
        self.assertIsNone(doc["params"]["err"])
        self.assertIsNone(doc["params"]["errmsg"])
        self.assertEqual(doc["responseCode"], "OK")
        return doc["result"]

    def failed(self, method, path, body, token, api_id, expect, response_code, msgid=MSGID):
        doc = self.send(method, path, body, token, expect)
        self.assert_envelope(doc, api_id, msgid)
        self.assertEqual(doc["params"]["status"], "failed")
        self.assertEqual(doc["params"]["err"], "SERVER_ERROR" if expect >= 500 else "CLIENT_ERROR")
        self.assertIsInstance(doc["params"]["errmsg"], str)
        self.assertEqual(doc["responseCode"], response_code)
        return doc["result"]

    def assert_envelope(self, doc, api_id, msgid):
        self.assertEqual(set(doc), ENVELOPE_FIELDS)
        self.assertEqual(set(doc["params"]), PARAMS_FIELDS)
        self.assertEqual(doc["id"], api_id)
        self.assertEqual(doc["ver"], "v1")
        self.assertRegex(doc["ts"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}\+0000$")
        self.assertIsNone(doc["params"]["resmsgid"])
        self.assertEqual(doc["params"]["msgid"], msgid)

    def start(self, token, request):
        return self.ok("POST", "/v1/view/start", envelope("api.view.start", request), token, "api.view.start")

    def update(self, token, request):
        return self.ok("POST", "/v1/view/update", envelope("api.view.update", request), token, "api.view.update")

    def end(self, token, request):
        return self.ok("POST", "/v1/view/end", envelope("api.view.end", request), token, "api.view.end")

    def read(self, token, request, query=""):
        api_id = "api.view.read.contextall" if query else "api.view.read"
        return self.ok("POST", "/v1/view/read" + query, envelope(api_id, request), token, api_id)


class ViewTest(SunbirdCase):
    def test_start_samples(self):
        _, token = self.user()
        # Sample1 organic, Sample2 through a collection, Sample3 through a context.
        for request in ({"contentId": "content_123"},
                        {"contentId": "content_123", "collectionId": "collection_123"},
                        {"contentId": "content_123", "contextId": "context_123"}):
            self.assertEqual(self.start(token, request), {"content_123": "Progress started"})

    def test_start_errors(self):
        _, token = self.user()
        result = self.failed("POST", "/v1/view/start", envelope("api.view.start", {"contentId": ""}), token,
                             "api.view.start", 400, "BAD_REQUEST")
        self.assertEqual(result, {"request.contentId": "Content Id cannot be empty"})
        result = self.failed("POST", "/v1/view/start",
                             envelope("api.view.start", {"contentId": "content_123", "contextId": "bad context"}),
                             token, "api.view.start", 400, "BAD_REQUEST")
        self.assertEqual(result, {"request.contextId": "Invalid Context Id"})
        result = self.failed("POST", "/v1/view/start", {"id": "api.view.start", "params": {"msgid": MSGID}},
                             token, "api.view.start", 400, "BAD_REQUEST")
        self.assertIn("request", result)

    def test_token_is_required(self):
        doc = self.send("POST", "/v1/view/start", envelope("api.view.start", {"contentId": "content_123"}), None, 401)
        self.assertEqual(doc["id"], "api.view.start")
        self.assertEqual(doc["params"]["status"], "failed")
        self.assertEqual(doc["params"]["err"], "CLIENT_ERROR")
        self.assertEqual(doc["responseCode"], "UNAUTHORIZED")

    def test_a_users_token_cannot_name_another_user(self):
        _, token = self.user()
        self.failed("POST", "/v1/view/start",
                    envelope("api.view.start", {"userId": "someone_else", "contentId": "content_123"}),
                    token, "api.view.start", 403, "FORBIDDEN")

    def test_update_end_read_samples(self):
        user, token = self.user()
        # Update without context (the document's sample, mimetype spelling included).
        self.assertEqual(self.update(token, {"contentId": "content_123",
                                             "progressDetails": {"mimetype": "appliation/pdf", "progress": 20},
                                             "timespent": 10}),
                         {"content_123": "Progress Updated"})
        # Update with context.
        self.assertEqual(self.update(token, {"contentId": "content_123", "collectionId": "collection_123",
                                             "contextId": "context_123",
                                             "progressDetails": {"mimetype": "application/pdf", "progress": 20},
                                             "timespent": 10}),
                         {"content_123": "Progress Updated"})

        # Read without context (organic consumption).
        result = self.read(token, {"contentId": "content_123"})
        self.assertEqual(result["userId"], user)
        self.assertEqual(result["contentId"], "content_123")
        self.assertEqual(result["type"], "content")
        [content] = result["contents"]
        self.assertEqual(content["contentId"], "content_123")
        self.assertEqual(content["collectionId"], "collection_123")  # the catalog's parent
        self.assertIsNone(content["contextId"])
        self.assertEqual(content["status"], 1)
        self.assertEqual(content["progressDetails"], {"mimetype": "appliation/pdf", "progress": 20})

        # Read with context or collection.
        result = self.read(token, {"contentId": "content_123", "collectionId": "collection_123",
                                   "contextId": "context_123"})
        [content] = result["contents"]
        self.assertEqual((content["collectionId"], content["contextId"], content["status"]),
                         ("collection_123", "context_123", 1))
        self.assertEqual(content["progressDetails"]["progress"], 20)

        # End without and with context: completed, progress 100.
        self.assertEqual(self.end(token, {"contentId": "content_123"}), {"content_123": "Progress ended"})
        self.assertEqual(self.end(token, {"contentId": "content_123", "collectionId": "collection_123",
                                          "contextId": "context_123"}),
                         {"content_123": "Progress ended"})
        for request in ({"contentId": "content_123"},
                        {"contentId": "content_123", "collectionId": "collection_123", "contextId": "context_123"}):
            [content] = self.read(token, request)["contents"]
            self.assertEqual(content["status"], 2)
            self.assertEqual(content["progressDetails"]["progress"], 100)

        # Read of several contents: only those with progress.
        result = self.read(token, {"contentIds": ["content_123", "content_456"]})
        self.assertEqual([c["contentId"] for c in result["contents"]], ["content_123"])
        self.assertNotIn("contentId", result)

    def test_end_with_context_needs_collection(self):
        _, token = self.user()
        result = self.failed("POST", "/v1/view/end",
                             envelope("api.view.end", {"contentId": "content_123", "contextId": "context_123"}),
                             token, "api.view.end", 400, "BAD_REQUEST")
        self.assertIn("request.collectionId", result)

    def test_update_errors_name_the_field(self):
        _, token = self.user()
        result = self.failed("POST", "/v1/view/update",
                             envelope("api.view.update", {"contentId": "content_123", "timespent": 10}),
                             token, "api.view.update", 400, "BAD_REQUEST")
        self.assertEqual(set(result), {"request.progressDetails"})
        result = self.failed("POST", "/v1/view/update",
                             envelope("api.view.update", {"contentId": "content_123",
                                                          "progressDetails": {"progress": 150}}),
                             token, "api.view.update", 400, "BAD_REQUEST")
        self.assertEqual(set(result), {"request.progressDetails.progress"})
        result = self.failed("POST", "/v1/view/read", envelope("api.view.read", {}), token, "api.view.read",
                             400, "BAD_REQUEST")
        self.assertEqual(result, {"request.contentId": "Content Id cannot be empty"})

    def test_read_context_all(self):
        user, token = self.user()
        self.update(token, {"contentId": "content_123", "progressDetails": {"progress": 20}, "timespent": 10})
        self.update(token, {"contentId": "content_123", "collectionId": "collection_123",
                            "contextId": "context_123", "progressDetails": {"progress": 20}, "timespent": 10})
        self.end(token, {"contentId": "content_123", "collectionId": "collection_123", "contextId": "context_123"})
        self.start(token, {"contentId": "content_456"})
        result = self.read(token, {"contentId": "content_123"}, "?context=all")
        self.assertEqual(result["userId"], user)
        contexts = {c["contextId"]: c for c in result["contents"]}
        self.assertEqual(set(contexts), {None, "context_123"})
        self.assertEqual(contexts[None]["status"], 1)
        self.assertEqual(contexts["context_123"]["status"], 2)
        self.assertEqual(contexts[None]["progressDetails"]["progress"], 20)
        # Without ids: every content of the user, in every context.
        result = self.read(token, {}, "?context=all")
        self.assertEqual(sorted((c["contentId"], c["contextId"] or "") for c in result["contents"]),
                         [("content_123", ""), ("content_123", "context_123"), ("content_456", "")])


class AssessmentTest(SunbirdCase):
    def events(self):
        return [
            {"eid": "ASSESS", "edata": {"item": {"id": "q1", "maxscore": 1}, "score": 0}},
            {"eid": "ASSESS", "edata": {"item": {"id": "q2", "maxscore": 1}, "score": 1}},
            {"eid": "ASSESS", "edata": {"item": {"id": "q1", "maxscore": 1}, "score": 1}},  # changed answer
            {"eid": "ASSESS", "edata": {"item": {"id": "q3", "maxscore": 2}, "score": 0}},
        ]

    def test_submit_and_read(self):
        user, token = self.user()
        ids = {"contentId": "quiz_1", "collectionId": "collection_123", "contextId": "context_123"}
        result = self.ok("POST", "/v1/assessment/submit",
                         envelope("api.assess.submit", dict(ids, attemptId="attempt_1", assessments=self.events())),
                         token, "api.assess.submit")
        self.assertEqual(result, {"quiz_1": "Score Updated"})
        events = self.events()
        events[3]["edata"]["score"] = 2
        self.ok("POST", "/v1/assessment/submit",
                envelope("api.assess.submit", dict(ids, attemptId="attempt_2", assessments=events)),
                token, "api.assess.submit")
        result = self.ok("POST", "/v1/assessment/read", envelope("api.assessment.read", ids), token,
                         "api.assessment.read")
        self.assertEqual(result["userId"], user)
        self.assertEqual((result["contentId"], result["collectionId"], result["contextId"]),
                         ("quiz_1", "collection_123", "context_123"))
        self.assertEqual(result["assessments"], [
            {"attemptId": "attempt_1", "score": 2, "max_score": 4},
            {"attemptId": "attempt_2", "score": 4, "max_score": 4},
        ])
        # The passing attempt (4/4 ≥ 60 %) completed the quiz.
        [content] = self.read(token, {"contentId": "quiz_1", "collectionId": "collection_123",
                                      "contextId": "context_123"})["contents"]
        self.assertEqual(content["status"], 2)
        # The summary reports the best score.
        summary = self.ok("POST", "/v1/summary/read",
                          envelope("api.summary.read", {"userId": user, "collectionId": "collection_123",
                                                        "contextId": "context_123"}),
                          token, "api.summary.read")
        self.assertEqual(summary["assessmentStatus"], {"quiz_1": {"score": 4, "max_score": 4}})

    def test_submit_errors(self):
        _, token = self.user()
        result = self.failed("POST", "/v1/assessment/submit",
                             envelope("api.assess.submit", {"contentId": "quiz_1", "assessments": []}),
                             token, "api.assess.submit", 400, "BAD_REQUEST")
        self.assertEqual(set(result), {"request.collectionId", "request.contextId", "request.attemptId",
                                       "request.assessments"})


class SummaryTest(SunbirdCase):
    def progress(self, token):
        self.update(token, {"contentId": "content_456", "collectionId": "collection_123",
                            "contextId": "context_123", "progressDetails": {"progress": 50}, "timespent": 10})
        self.end(token, {"contentId": "content_123", "collectionId": "collection_123", "contextId": "context_123"})

    def test_list_and_read(self):
        user, token = self.user()
        self.progress(token)
        result = self.ok("GET", f"/v1/summary/list/{user}", None, token, "api.summary.list", msgid=None)
        [summary] = result["summary"]
        self.assertEqual(set(summary), SUMMARY_FIELDS)
        self.assertEqual((summary["userId"], summary["collectionId"], summary["contextId"]),
                         (user, "collection_123", "context_123"))
        self.assertIsInstance(summary["enrolledDate"], int)
        self.assertTrue(summary["active"])
        self.assertEqual(summary["contentStatus"], {"content_123": 2, "content_456": 1})
        self.assertEqual(summary["assessmentStatus"], {})
        self.assertEqual(summary["collection"], {"identifier": "collection_123", "name": "Mathematics",
                                                 "logo": "http://logoimage", "leafNodesCount": 4,
                                                 "description": "Dummy Collection"})
        self.assertEqual(summary["issuedCertificates"], [])
        self.assertIsNone(summary["completedOn"])
        self.assertEqual(summary["status"], 1)
        self.assertGreater(summary["progress"], 0)
        self.assertLess(summary["progress"], 100)

        body = {"request": {"userId": user, "collectionId": "collection_123", "contextId": "context_123"}}
        self.assertEqual(self.ok("POST", "/v1/summary/read", body, token, "api.summary.read", msgid=None), summary)

        # Complete the rest: completed, 100 %, completedOn a date.
        for content in ("content_456", "content_789", "quiz_1"):
            self.end(token, {"contentId": content, "collectionId": "collection_123", "contextId": "context_123"})
        summary = self.ok("POST", "/v1/summary/read", body, token, "api.summary.read", msgid=None)
        self.assertEqual((summary["status"], summary["progress"]), (2, 100))
        self.assertRegex(summary["completedOn"], r"^\d{4}-\d{2}-\d{2}$")

    def test_read_errors(self):
        user, token = self.user()
        result = self.failed("POST", "/v1/summary/read", {"request": {"userId": user}}, token, "api.summary.read",
                             400, "BAD_REQUEST", msgid=None)
        self.assertEqual(result, {"request.collectionId": "Collection Id cannot be empty",
                                  "request.contextId": "Context Id cannot be empty"})
        self.failed("POST", "/v1/summary/read",
                    {"request": {"userId": user, "collectionId": "collection_123", "contextId": "none"}},
                    token, "api.summary.read", 404, "RESOURCE_NOT_FOUND", msgid=None)
        other, _ = self.user()
        self.failed("GET", f"/v1/summary/list/{other}", None, token, "api.summary.list", 403, "FORBIDDEN",
                    msgid=None)

    def test_download_csv_and_json(self):
        user, token = self.user()
        self.progress(token)
        for fmt in ("csv", "json"):
            query = "" if fmt == "csv" else "?format=json"  # CSV is the default format
            result = self.ok("GET", f"/v1/summary/download/{user}{query}", None, token, "api.summary.download",
                             msgid=None)
            url = urlparse(result["url"])
            self.assertTrue(url.path.endswith(f"/{user}_viewer_summary.{fmt}"), result)
            status, headers, raw, doc = self.server.request("GET", url.path,
                                                            headers={"x-authenticated-user-token": token})
            self.assertEqual(status, 200, raw[:400])
            if fmt == "json":
                [summary] = doc
                self.assertEqual(summary["contentStatus"], {"content_123": 2, "content_456": 1})
            else:
                self.assertTrue(headers["content-type"].startswith("text/csv"))
                [row] = list(csv.DictReader(io.StringIO(raw.decode())))
                self.assertEqual((row["userId"], row["collectionId"], row["contextId"], row["status"]),
                                 (user, "collection_123", "context_123", "1"))
        # Another user's file is refused.
        other, _ = self.user()
        status, _, _, _ = self.server.request("GET", f"/v1/summary/file/{other}_viewer_summary.csv",
                                              headers={"x-authenticated-user-token": token})
        self.assertEqual(status, 403)

    def test_delete_one_and_all(self):
        user, token = self.user()
        self.progress(token)
        self.start(token, {"contentId": "content_123", "collectionId": "collection_123", "contextId": "context_9"})
        listed = self.ok("GET", f"/v1/summary/list/{user}", None, token, "api.summary.list", msgid=None)["summary"]
        self.assertEqual(len(listed), 2)
        body = {"request": {"userId": user, "collectionId": "collection_123", "contextId": "context_123"}}
        result = self.ok("DELETE", f"/v1/summary/delete/{user}", body, token, "api.summary.delete", msgid=None)
        self.assertEqual(result, {user: "Enrolment Deleted Succesfully"})
        listed = self.ok("GET", f"/v1/summary/list/{user}", None, token, "api.summary.list", msgid=None)["summary"]
        self.assertEqual([s["contextId"] for s in listed], ["context_9"])
        result = self.ok("DELETE", f"/v1/summary/delete/{user}?all", None, token, "api.summary.delete", msgid=None)
        self.assertEqual(result, {user: "Enrolment Deleted Succesfully"})
        self.assertEqual(self.ok("GET", f"/v1/summary/list/{user}", None, token, "api.summary.list",
                                 msgid=None)["summary"], [])
        # Enrolments only: the progress stays.
        [content] = self.read(token, {"contentId": "content_123", "contextId": "context_123"})["contents"]
        self.assertEqual(content["status"], 2)


class CrossFamilyTest(SunbirdCase):
    def test_sunbird_progress_reads_back_natively_and_through_education(self):
        user, token = self.user()
        self.update(token, {"contentId": LESSON, "collectionId": COURSE,
                            "progressDetails": {"mimetype": "application/pdf", "progress": 20}, "timespent": 120})

        status, _, raw, native = self.server.request("GET", f"/v1/progress/{LESSON}", token=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual((native["status"], native["progress_percent"]), (1, 20))
        self.assertEqual(native["time_spent_seconds"], 120)
        self.assertEqual(native["mimetype"], "application/pdf")

        status, _, raw, lessons = self.server.request("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual(status, 200, raw)
        [lesson] = lessons
        self.assertEqual((lesson["lesson_id"], lesson["status"], lesson["progress_percentage"]),
                         (LESSON, "in_progress", 20))
        self.assertEqual(lesson["time_spent_minutes"], 2)

        self.end(token, {"contentId": LESSON})
        status, _, _, native = self.server.request("GET", f"/v1/progress/{LESSON}", token=token)
        self.assertEqual((native["status"], native["progress_percent"]), (2, 100))
        self.assertIsNotNone(native["completed_at"])
        status, _, _, lessons = self.server.request("GET", f"/api/v1/education/progress/{COURSE}", token=token)
        self.assertEqual((lessons[0]["status"], lessons[0]["progress_percentage"]), ("completed", 100))
        status, _, _, summary = self.server.request("GET", f"/api/v1/education/progress/{COURSE}/summary",
                                                    token=token)
        self.assertEqual((summary["completed_lessons"], summary["completion_percentage"]), (1, 100))

    def test_service_key_names_the_user(self):
        user, token = self.user()
        status, _, raw, doc = self.server.request(
            "POST", "/v1/view/start", envelope("api.view.start", {"userId": user, "contentId": "content_789"}),
            key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        [content] = self.read(token, {"contentId": "content_789"})["contents"]
        self.assertEqual(content["status"], 1)


if __name__ == "__main__":
    unittest.main()
