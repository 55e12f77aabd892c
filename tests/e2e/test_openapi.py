"""The OpenAPI document (docs/openapi.json): served as built in, naming every native route, and the
checker that holds every other test's answers to it (openapi_check.py) refusing what it should."""

import http.client
import json
import os
import re
import unittest

from openapi_check import DOCUMENT_PATH, OpenApiChecker
from progressd_fixture import SERVICE_KEY, ServerCase


class ServedDocument(ServerCase):

    def test_get_openapi_json_is_the_document_in_docs(self):
        status, headers, body, doc = self.server.request("GET", "/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), "application/json")
        with open(DOCUMENT_PATH, "rb") as f:
            self.assertEqual(body, f.read(), "the binary embeds another docs/openapi.json: rebuild it")
        self.assertEqual(doc["openapi"], "3.1.0")

    def test_needs_no_credential_and_answers_head(self):
        status, headers, body, _ = self.server.request("HEAD", "/openapi.json")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(int(headers["content-length"]), os.path.getsize(DOCUMENT_PATH))
        status, headers, _, _ = self.server.request("POST", "/openapi.json", {})
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "GET, HEAD")

    def test_every_native_route_is_documented_and_nothing_else(self):
        # /metrics has series only for the routes that served a request: call every documented
        # operation once (no credentials: a 401 counts under its route as well as a 200), then
        # the duration histogram names the routes that took them; a documented operation the
        # server lacks lands under "unmatched" instead.
        checker = OpenApiChecker()
        documented = {(method.upper(), path) for path, item in checker.document["paths"].items()
                      for method in item if method != "parameters"}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        allowed = {}
        try:
            for method, path in sorted(documented):
                target = re.sub(r"\{[^}]+\}", "x", path)
                body = b"{}" if method in ("POST", "PUT", "PATCH") else None
                conn.request(method, target, body=body, headers={"Content-Type": "application/json"})
                conn.getresponse().read()
                # The methods the server takes at the path, from a 405's Allow.
                conn.request("TRACE", target)
                response = conn.getresponse()
                response.read()
                self.assertEqual(response.status, 405, f"TRACE {target}")
                allowed[path] = {m.strip() for m in response.getheader("Allow", "").split(",")} - {"HEAD"}
        finally:
            conn.close()
        metrics = self.server.metrics_text()
        routes = set(re.findall(r'request_duration_seconds_count\{route="([^"]+)",method="([A-Z]+)"\}', metrics))
        served = {(method, pattern) for pattern, method in routes
                  if pattern != "unmatched" and not checker.is_compat(pattern)}
        self.assertGreater(len(served), 25)
        self.assertEqual(sorted(documented - served), [], "documented operations the server lacks")
        # A target may match several documented paths (/v1/progress/batch and
        # /v1/progress/{content_id}): Allow names the methods of all of them.
        def matches(pattern, target):
            return re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(pattern)), target) is not None
        for path, methods in sorted(allowed.items()):
            target = re.sub(r"\{[^}]+\}", "x", path)
            expected = {m for m, p in documented if matches(p, target)}
            self.assertEqual(sorted(methods - expected), [], f"methods the document lacks at {path}")


class CheckerRefuses(unittest.TestCase):
    """The checker itself, on made-up answers: each must be refused, or it checks nothing."""

    @classmethod
    def setUpClass(cls):
        cls.checker = OpenApiChecker()

    def refused(self, method, target, status, headers, body, expected):
        with self.assertRaises(AssertionError) as caught:
            self.checker.check(method, target, status, headers, body)
        self.assertIn(expected, str(caught.exception))

    def test_a_good_answer_passes(self):
        summary = {"content_id": "c", "context_id": "", "status": 1, "progress_percent": 5,
                   "position_seconds": 3, "time_spent_seconds": 0, "completed": False}
        self.assertTrue(self.checker.check("POST", "/v1/progress", 200, {"content-type": "application/json"},
                                           json.dumps(summary).encode()))

    def test_a_member_missing_or_of_the_wrong_type(self):
        body = {"content_id": "c", "context_id": "", "status": 3, "progress_percent": 5,
                "position_seconds": 3, "time_spent_seconds": 0, "completed": False}
        self.refused("POST", "/v1/progress", 200, {"content-type": "application/json"},
                     json.dumps(body).encode(), "status")
        del body["completed"]
        body["status"] = 1
        self.refused("POST", "/v1/progress", 200, {"content-type": "application/json"},
                     json.dumps(body).encode(), "'completed' is a required property")

    def test_a_status_the_operation_does_not_document(self):
        self.refused("GET", "/v1/contents/x", 201, {"content-type": "application/json"}, b"{}",
                     "status 201 is not documented")

    def test_a_problem_of_the_wrong_type_for_its_status(self):
        problem = {"type": "https://progressd.dev/problems/validation", "title": "Not found", "status": 404,
                   "detail": "d", "errors": []}
        self.refused("GET", "/v1/contents/x", 404, {"content-type": "application/problem+json"},
                     json.dumps(problem).encode(), "does not match")

    def test_a_required_header_missing(self):
        problem = {"type": "https://progressd.dev/problems/missing-credentials", "title": "t", "status": 401,
                   "detail": "d", "errors": []}
        self.refused("GET", "/v1/contents/x", 401, {"content-type": "application/problem+json"},
                     json.dumps(problem).encode(), "WWW-Authenticate")

    def test_an_undocumented_content_type(self):
        self.refused("GET", "/livez", 200, {"content-type": "text/html"}, b"<p>ok</p>", "Content-Type")

    def test_unknown_paths_and_methods(self):
        self.refused("GET", "/v2/progress", 200, {"content-type": "application/json"}, b"{}", "not in docs")
        problem = {"type": "https://progressd.dev/problems/method-not-allowed", "title": "t", "status": 405,
                   "detail": "d", "errors": []}
        self.refused("PATCH", "/v1/progress", 405, {"content-type": "application/problem+json", "allow": "GET"},
                     json.dumps(problem).encode(), "Allow")
        self.assertTrue(self.checker.check("PATCH", "/v1/progress", 405,
                                           {"content-type": "application/problem+json", "allow": "GET, HEAD, POST"},
                                           json.dumps(problem).encode()))

    def test_compatibility_paths_are_not_the_native_apis(self):
        self.assertFalse(self.checker.check("GET", "/v1/users/u/published-courses", 418, {}, b"teapot"))
        self.assertFalse(self.checker.check("POST", "/v1/view/start", 200, {}, b"{}"))
        self.assertTrue(self.checker.is_compat("/musora-api/anything"))
        self.assertFalse(self.checker.is_compat("/v1/assessments"))
        self.assertFalse(self.checker.is_compat("/v1/users/u/progress"))


class DocumentedExamples(ServerCase):
    """Answers the rest of the suite reaches rarely, checked by the fixture like every answer."""

    def test_service_writes_and_reads(self):
        key = SERVICE_KEY
        entry = {"type": "course", "title": "Course", "children": ["l1", "l2"], "attributes": {"a": 1}}
        status, _, body, _ = self.server.request("PUT", "/v1/contents/course-oa", entry, key=key)
        self.assertEqual(status, 201, body)
        status, _, body, _ = self.server.request(
            "POST", "/v1/progress", {"content_id": "l1", "user_id": "oa-u", "collection_id": "course-oa",
                                     "context_id": "b1", "position_seconds": 10, "duration_seconds": 100},
            key=key)
        self.assertEqual(status, 200, body)
        for path in ("/v1/collections/course-oa/progress?user_id=oa-u&context_id=b1",
                     "/v1/users/oa-u/continue", "/v1/users/oa-u/enrolments", "/v1/users/oa-u/export",
                     "/v1/progress?content_ids=l1,l2&user_id=oa-u&context_id=b1"):
            status, _, body, _ = self.server.request("GET", path, key=key)
            self.assertEqual(status, 200, (path, body))
        status, headers, body, _ = self.server.request("GET", "/v1/users/oa-u/export?format=csv", key=key)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        status, _, body, doc = self.server.request("DELETE", "/v1/progress/l1?user_id=oa-u&context_id=b1", key=key)
        self.assertEqual(status, 200, body)
        self.assertEqual(doc["collection_id"], "course-oa")


if __name__ == "__main__":
    unittest.main()
