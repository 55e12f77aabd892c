"""404 and 405 under a compatibility family's paths, end to end: each family answers what no route
matches in its own error format (docs/compat-skilljar.md, compat-sunbird.md, compat-education.md,
compat-musora.md), 405 with Allow, while paths outside the families keep the native problem+json
(docs/native-api.md). Unmatched paths need no credentials: the router answers before it
authenticates."""

import unittest

from progressd_fixture import SERVICE_KEY, ServerCase, assert_problem, basic_auth

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
EDUCATION_COURSE = "497f6eca-6276-4993-bfeb-53cbbbba6f08"  # a UUID the catalog does not list
SUNBIRD_PARAMS = {"resmsgid", "msgid", "err", "status", "errmsg"}


def allow_of(headers):
    return [method.strip() for method in headers.get("allow", "").split(",") if method.strip()]


class CompatErrorsCase(ServerCase):

    def assert_json(self, response, status, body):
        got_status, headers, raw, doc = response
        self.assertEqual(got_status, status, raw[:400])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        self.assertEqual(doc, body)
        return headers

    def assert_envelope(self, response, status, api_id, response_code):
        got_status, headers, raw, doc = response
        self.assertEqual(got_status, status, raw[:400])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        self.assertEqual(set(doc), {"id", "ver", "ts", "params", "responseCode", "result"})
        self.assertEqual((doc["id"], doc["ver"], doc["responseCode"]), (api_id, "v1", response_code))
        self.assertEqual(set(doc["params"]), SUNBIRD_PARAMS)
        self.assertEqual((doc["params"]["status"], doc["params"]["err"]), ("failed", "CLIENT_ERROR"))
        self.assertIsNone(doc["params"]["msgid"])
        self.assertTrue(doc["params"]["errmsg"])
        return headers

    # ---- Skilljar: Django REST framework's {"detail": …} -------------------------------------

    def test_skilljar_unknown_paths_are_drf_404(self):
        for path in ("/v1/users/u1/published-courses/c1/unknown",
                     "/v1/users/u1/published-courses/c1/lessons/l1/extra",
                     "/v1/lesson-progress",
                     "/v1/progresstokens/a/b",
                     "/v1/domains/d/published-courses/c/enrollments/e/x",
                     "/v1/webhooks/w/x",
                     "/v1/ping/x"):
            with self.subTest(path=path):
                self.assert_json(self.server.request("GET", path, headers=BASIC), 404, {"detail": "Not found."})
                # The same without credentials: no route, nothing to authenticate for.
                self.assert_json(self.server.request("GET", path), 404, {"detail": "Not found."})

    def test_skilljar_wrong_method_is_drf_405_with_allow(self):
        cases = [("GET", "/v1/lesson-progress/lp.x", ["PUT", "PATCH"]),
                 ("POST", "/v1/progresstokens/pt.x", ["PUT", "PATCH"]),
                 ("DELETE", "/v1/users/u1/published-courses", ["GET", "HEAD"]),
                 ("GET", "/v1/users/u1/published-courses/c1", ["PUT", "PATCH"]),
                 ("POST", "/v1/ping", ["GET", "HEAD"]),
                 ("DELETE", "/v1/domains/d/published-courses/c/enrollments", ["GET", "HEAD", "POST"]),
                 ("POST", "/v1/webhooks/w1", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                headers = self.assert_json(self.server.request(method, path, body={}, headers=BASIC), 405,
                                           {"detail": "Method not allowed."})
                self.assertEqual(allow_of(headers), allowed)

    def test_skilljar_head_of_an_unknown_path_has_no_body(self):
        status, headers, raw, _ = self.server.request("HEAD", "/v1/lesson-progress", headers=BASIC)
        self.assertEqual(status, 404)
        self.assertEqual(raw, b"")
        self.assertEqual(headers["content-length"], str(len(b'{"detail":"Not found."}')))

    def test_native_paths_beside_skilljar_keep_problem_json(self):
        # /v1/users/{id}/… is the native API's except published-courses; /v1/progress-tokens is
        # a native endpoint (docs/compat-skilljar.md).
        assert_problem(self, self.server.request("GET", "/v1/users/u1/nothing", key=SERVICE_KEY), 404, "not-found")
        response = self.server.request("GET", "/v1/progress-tokens", key=SERVICE_KEY)
        assert_problem(self, response, 405, "method-not-allowed")
        self.assertEqual(allow_of(response[1]), ["POST"])
        assert_problem(self, self.server.request("GET", "/v1/published-courses"), 404, "not-found")
        assert_problem(self, self.server.request("GET", "/v2/nothing"), 404, "not-found")

    # ---- Sunbird: the response envelope ------------------------------------------------------

    def test_sunbird_unknown_paths_keep_the_envelope(self):
        cases = [("/v1/view/unknown", "api.view"),
                 ("/v1/view/start/extra", "api.view"),
                 ("/v1/assessment/unknown", "api.assessment"),
                 ("/v1/summary/nothing/u1", "api.summary")]
        for path, api_id in cases:
            with self.subTest(path=path):
                self.assert_envelope(self.server.request("POST", path, body={"request": {}}), 404, api_id,
                                     "RESOURCE_NOT_FOUND")

    def test_sunbird_wrong_method_names_the_route_with_allow(self):
        cases = [("GET", "/v1/view/start", "api.view.start", ["POST"]),
                 ("PUT", "/v1/view/read", "api.view.read", ["POST"]),
                 ("GET", "/v1/assessment/submit", "api.assess.submit", ["POST"]),
                 ("POST", "/v1/summary/list/u1", "api.summary.list", ["GET", "HEAD"]),
                 ("GET", "/v1/summary/delete/u1", "api.summary.delete", ["DELETE"])]
        for method, path, api_id, allowed in cases:
            with self.subTest(method=method, path=path):
                headers = self.assert_envelope(self.server.request(method, path), 405, api_id, "METHOD_NOT_ALLOWED")
                self.assertEqual(allow_of(headers), allowed)

    def test_native_assessments_are_not_sunbird(self):
        # /v1/assessments (native) is another segment than Sunbird's /v1/assessment.
        response = self.server.request("PUT", "/v1/assessments/c1", key=SERVICE_KEY)
        assert_problem(self, response, 405, "method-not-allowed")
        self.assertEqual(allow_of(response[1]), ["GET", "HEAD"])

    # ---- Education API: FastAPI's {"detail": …} ---------------------------------------------

    def test_education_unknown_paths_and_methods(self):
        for path in ("/api/v1/education/nothing", f"/api/v1/education/progress/{EDUCATION_COURSE}/lessons",
                     "/api/v1/education"):
            with self.subTest(path=path):
                self.assert_json(self.server.request("GET", path), 404, {"detail": "Not Found"})
        headers = self.assert_json(self.server.request("DELETE", f"/api/v1/education/progress/{EDUCATION_COURSE}"),
                                   405, {"detail": "Method Not Allowed"})
        self.assertEqual(allow_of(headers), ["GET", "HEAD"])
        headers = self.assert_json(
            self.server.request("GET", f"/api/v1/education/progress/{EDUCATION_COURSE}/lessons/{EDUCATION_COURSE}"),
            405, {"detail": "Method Not Allowed"})
        self.assertEqual(allow_of(headers), ["PUT"])
        # A route's own 404 still names what is missing.
        self.assert_json(self.server.request("GET", f"/api/v1/education/progress/{EDUCATION_COURSE}?user_id=u1",
                                             key=SERVICE_KEY), 404, {"detail": "Course not found"})
        # Outside the family's prefix: native.
        assert_problem(self, self.server.request("GET", "/api/v1/other"), 404, "not-found")

    # ---- Musora: Laravel's {"message": …} ----------------------------------------------------

    def test_musora_unknown_paths_and_methods(self):
        self.assert_json(self.server.request("GET", "/musora-api/unknown"), 404, {"message": "Not Found"})
        self.assert_json(self.server.request("PUT", "/musora-api/reset/x"), 404, {"message": "Not Found"})
        for method in ("GET", "POST", "DELETE"):
            with self.subTest(method=method):
                headers = self.assert_json(self.server.request(method, "/musora-api/reset"), 405,
                                           {"message": "Method Not Allowed"})
                self.assertEqual(allow_of(headers), ["PUT"])
        assert_problem(self, self.server.request("GET", "/musora-apix/reset"), 404, "not-found")


if __name__ == "__main__":
    unittest.main()
